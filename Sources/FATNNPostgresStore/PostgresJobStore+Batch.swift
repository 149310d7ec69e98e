import FATNNCoordinator
import FATNNJobs
import PostgresNIO

/// The writes of a batch of events (``GroupWriter``), set-wise: one `UPDATE … FROM (VALUES …)`
/// per set of changed columns, one INSERT per table, all as one statement.
extension PostgresJobStore {
    /// The columns of a `results` row, in ``BatchedEvent/result`` order.
    static let resultColumns = ["job_id", "test_accuracy", "test_loss", "val_accuracy", "train_loss", "train_seconds",
                                "images_per_second", "host", "threads", "result", "finished_at"]

    /// SQL types of the columns a batch writes (the casts of its VALUES lists).
    static let columnTypes: [String: String] = [
        "id": "bigint", "job_id": "bigint", "attempt": "integer", "state": "text", "attempts": "integer", "error_count": "integer",
        "lost_count": "integer", "claim_token": "text", "leased_at": "double precision", "lease_expires_at": "double precision",
        "not_before": "double precision", "cancel_requested": "integer", "error": "text", "updated_at": "double precision",
        "last_heartbeat_at": "double precision", "last_epoch": "integer", "last_loss": "double precision",
        "last_accuracy": "double precision", "ended_at": "double precision", "outcome": "text", "result_identity": "text",
    ]

    /// One transaction for `events` (distinct jobs): their rows locked in id order, the rulebook
    /// applied to each, every change written in one statement. An event the rules refuse gets
    /// its error and writes nothing; a batch the database refuses runs again one event at a time,
    /// so that no event fails for another's sake.
    func writeBatch(_ events: [BatchedEvent], durable: Bool) async -> [Result<Transition, any Error>] {
        do {
            return try await transaction(durable: durable) { tx in try await applyBatch(events, tx) }
        } catch {
            var out: [Result<Transition, any Error>] = []
            for e in events {
                do { out.append(.success(try await transaction(durable: durable) { tx in try await applyBatch([e], tx)[0].get() })) } catch {
                    out.append(.failure(error))
                }
            }
            return out
        }
    }

    /// `events` (distinct jobs) in the caller's transaction: their rows locked, then
    /// ``apply(_:to:_:)``.
    func applyBatch(_ events: [BatchedEvent], _ tx: PostgresTx) async throws -> [Result<Transition, any Error>] {
        try await apply(events, to: try await lockedLifecycles(events.map(\.job), tx), tx)
    }

    /// The lifecycles of jobs `ids`, their rows locked in id order until the transaction ends
    /// (a job that does not exist is absent).
    func lockedLifecycles(_ ids: [Int64], _ tx: PostgresTx) async throws -> [Int64: JobLifecycle] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.rows("SELECT id, \(JobLifecycle.selectList) FROM jobs WHERE id IN ("
                                     + Array(repeating: "?", count: ids.count).joined(separator: ", ") + ") ORDER BY id FOR UPDATE", ids)
        var lifecycles: [Int64: JobLifecycle] = [:]
        for r in rows { lifecycles[try r.get("id")] = try Self.lifecycle(r) }
        return lifecycles
    }

    /// The rules applied to each of `events` on its job's locked lifecycle, every change written
    /// in one statement. An event the rules refuse gets its error and writes nothing.
    func apply(_ events: [BatchedEvent], to lifecycles: [Int64: JobLifecycle], _ tx: PostgresTx) async throws -> [Result<Transition, any Error>] {
        var writes = BatchWrites()
        var out: [Result<Transition, any Error>] = []
        for e in events {
            guard let before = lifecycles[e.job] else { out.append(.failure(StoreError.jobNotFound(e.job))); continue }
            let tr: Transition
            do { tr = try before.applying(e.event, at: e.now, timing: timing) } catch {
                out.append(.failure(StoreError(error, job: e.job)))
                continue
            }
            out.append(.success(tr))
            if tr.repeated { continue }
            writes.jobs.append((e.job, JobLifecycle.changes(from: before, to: tr.after) + e.extra + [("updated_at", .real(e.now))]))
            for effect in tr.effects {
                if case .closeAttempt(let n, let outcome, let message) = effect {
                    writes.attempts.append(([.integer(e.job), .integer(Int64(n))],
                                            [("ended_at", .real(e.now)), ("outcome", .text(outcome.rawValue)),
                                             ("error", message.map(SQLValue.text) ?? .null)] + e.closeExtra))
                }
            }
            writes.epochs += e.epochs.map { (e.job, $0) }
            if let result = e.result {
                writes.results.append(result)
                writes.acceptedModels.append([.integer(e.job), .integer(Int64(tr.after.attempts))])
            }
        }
        if let statement = writes.statement() { try await tx.execute(statement) }
        return out
    }
}

/// What a batch writes, gathered per table.
struct BatchWrites {
    var jobs: [(id: Int64, set: [(column: String, value: SQLValue)])] = []
    var attempts: [(key: [SQLValue], set: [(column: String, value: SQLValue)])] = []
    var epochs: [(job: Int64, report: EpochReport)] = []
    var results: [[SQLValue]] = []
    /// (job, attempt) of each accepted result: that attempt's models are kept and accepted.
    var acceptedModels: [[SQLValue]] = []

    /// All of it as one statement of data-modifying `WITH` queries (no two touch one row: a
    /// batch has each job once), or nil when there is nothing to write.
    func statement() -> SQLStatement? {
        var parts: [SQLStatement] = []
        parts += Self.setUpdates(table: "jobs", keys: ["id"], rows: jobs.map { ([.integer($0.id)], $0.set) })
        parts += Self.setUpdates(table: "attempts", keys: ["job_id", "attempt"], rows: attempts)
        if !results.isEmpty {
            let cols = PostgresJobStore.resultColumns
            parts.append(SQLStatement("INSERT INTO results (\(cols.joined(separator: ", "))) VALUES "
                                      + Self.valuesList(rows: results.count, columns: cols.count), results.flatMap { $0 }))
        }
        var lastReport: [String: (Int64, EpochReport)] = [:]  // one row per (job, epoch): the last given wins
        for (job, e) in epochs { lastReport["\(job)/\(e.epoch)"] = (job, e) }
        let reports = lastReport.values.sorted { ($0.0, $0.1.epoch) < ($1.0, $1.1.epoch) }
        if !reports.isEmpty {
            parts.append(SQLStatement("""
                INSERT INTO epochs (job_id, epoch, train_loss, train_accuracy, val_accuracy, learning_rate, seconds)
                VALUES \(Self.valuesList(rows: reports.count, columns: 7))
                ON CONFLICT (job_id, epoch) DO UPDATE SET train_loss = excluded.train_loss, train_accuracy = excluded.train_accuracy,
                    val_accuracy = excluded.val_accuracy, learning_rate = excluded.learning_rate, seconds = excluded.seconds
                """, reports.flatMap { job, e -> [SQLValue] in
                    [.integer(job), e.epoch.sqlValue, e.trainLoss.sqlValue, e.trainAccuracy.sqlValue, e.validationAccuracy.sqlValue,
                     e.learningRate.sqlValue, e.seconds.sqlValue]
                }))
        }
        if !acceptedModels.isEmpty {
            let v = Self.typedValues(rows: acceptedModels.count, types: ["bigint", "integer"]) + " AS v(job_id, attempt)"
            parts.append(SQLStatement("DELETE FROM job_artifacts AS x USING \(v) WHERE x.job_id = v.job_id AND x.attempt <> v.attempt",
                                      acceptedModels.flatMap { $0 }))
            parts.append(SQLStatement("UPDATE job_artifacts AS x SET accepted = 1 FROM \(v) WHERE x.job_id = v.job_id AND x.attempt = v.attempt",
                                      acceptedModels.flatMap { $0 }))
        }
        guard let last = parts.last else { return nil }
        if parts.count == 1 { return last }
        return SQLStatement("WITH " + parts.dropLast().enumerated().map { "s\($0.offset) AS (\($0.element.sql))" }.joined(separator: ",\n     ")
                            + "\n" + last.sql, parts.flatMap(\.args))
    }

    /// One `UPDATE table AS t SET c = v.c … FROM (VALUES …) AS v(keys…, columns…)` per set of
    /// columns the rows change.
    static func setUpdates(table: String, keys: [String], rows: [(key: [SQLValue], set: [(column: String, value: SQLValue)])]) -> [SQLStatement] {
        var groups: [[String]: [[SQLValue]]] = [:]
        var order: [[String]] = []
        for row in rows {
            let columns = row.set.map(\.column)
            if groups[columns] == nil { order.append(columns) }
            groups[columns, default: []].append(row.key + row.set.map(\.value))
        }
        return order.map { columns in
            let all = keys + columns, values = groups[columns] ?? []
            let types = all.map { PostgresJobStore.columnTypes[$0] ?? "text" }
            return SQLStatement("UPDATE \(table) AS t SET " + columns.map { "\($0) = v.\($0)" }.joined(separator: ", ")
                                + " FROM \(typedValues(rows: values.count, types: types)) AS v(\(all.joined(separator: ", ")))"
                                + " WHERE " + keys.map { "t.\($0) = v.\($0)" }.joined(separator: " AND "), values.flatMap { $0 })
        }
    }

    /// `(VALUES (?::T1, ?::T2), …)`: typed, since a VALUES list outside an INSERT reads an
    /// untyped NULL as text.
    static func typedValues(rows: Int, types: [String]) -> String {
        let row = "(" + types.map { "?::" + $0 }.joined(separator: ", ") + ")"
        return "(VALUES " + Array(repeating: row, count: rows).joined(separator: ", ") + ")"
    }

    /// `(?, ?), (?, ?)`: an INSERT's VALUES rows (typed by their target columns).
    static func valuesList(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }
}
