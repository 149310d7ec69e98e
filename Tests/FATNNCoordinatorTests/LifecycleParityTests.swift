@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

/// The lifecycle is one rulebook (``JobLifecycle``) that every store must implement. This suite
/// drives the SQLite store and a model built only from the value type's rules with the same
/// random events (claims, heartbeats, results, errors, releases, stale tokens, time passing and
/// reaping, cancels, retries, invalidations, pauses) and compares, after every step, each job's
/// lifecycle row and its attempt rows. The store's own SQL (the claim pick, the reaper's
/// selection, the retry list, failing the dependents of an unsuccessful job) must agree with the
/// value rules they restate.
@Suite struct LifecycleParityTests {
    /// The value side: jobs as ``JobLifecycle`` values, plus what the claim rule reads besides
    /// a job's own state (its parent, stored models, priorities, paused sweeps).
    struct Model {
        var jobs: [Int64: JobLifecycle] = [:]
        var parent: [Int64: Int64] = [:]
        var sweep: [Int64: String] = [:]
        var priority: [Int64: Int] = [:]
        var paused: Set<String> = []
        var models: Set<Int64> = []
        /// Per job, its attempts' outcome and error.
        var attempts: [Int64: [Attempt]] = [:]
        let timing: LifecycleTiming

        struct Attempt: Equatable { var outcome: String; var error: String? }

        /// The job the claim rule picks at `now`: claimable, in an unpaused sweep, with no parent
        /// or a parent that succeeded and stored its model; highest priority, then lowest id.
        func pick(at now: Double) -> Int64? {
            jobs.keys.filter { id in
                guard jobs[id]!.isClaimable(at: now), !paused.contains(sweep[id]!) else { return false }
                guard let p = parent[id] else { return true }
                return jobs[p]!.state == .succeeded && models.contains(p)
            }.min { (-priority[$0]!, $0) < (-priority[$1]!, $1) }
        }

        /// Applies `event`, carries out its effects as the rulebook says, and returns it.
        @discardableResult
        mutating func apply(_ event: LifecycleEvent, _ id: Int64, at now: Double) throws(LifecycleError) -> Transition {
            let tr = try jobs[id]!.applying(event, at: now, timing: timing)
            if tr.repeated { return tr }
            jobs[id] = tr.after
            for effect in tr.effects {
                switch effect {
                case .openAttempt: attempts[id, default: []].append(Attempt(outcome: "running", error: nil))
                case .closeAttempt(let n, let outcome, let error): attempts[id]![n - 1] = Attempt(outcome: outcome.rawValue, error: error)
                case .failDependents:
                    for child in parent.filter({ $0.value == id }).map(\.key).sorted() where jobs[child]!.state == .queued {
                        try apply(.parentEnded(id, tr.after.state), child, at: now)
                    }
                case .checkParent:
                    if let p = parent[id], JobLifecycle.unsuccessfulEnds.contains(jobs[p]!.state) {
                        try apply(.parentEnded(p, jobs[p]!.state), id, at: now)
                    }
                }
            }
            return tr
        }

        /// The reaper: every overdue job's event, in id order.
        mutating func reap(at now: Double) {
            for id in jobs.keys.sorted() { if let e = jobs[id]!.overdueEvent(at: now) { _ = try? apply(e, id, at: now) } }
        }
    }

    /// A deterministic generator (SplitMix64), so that a failing sequence can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let staged = """
        { "name": "staged", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
          "seeds": [1, 2], "timeoutSeconds": 100, "retries": {"errors": 1, "lostWorkers": 1},
          "stages": [ {"name": "fp"}, {"name": "q", "from": "fp", "grid": {"quantizer.kind": ["fatnn", "tnn"]}} ] }
        """
    static let urgent = """
        { "name": "urgent", "priority": 5, "base": { "model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
          "seeds": [1, 2], "retries": {"errors": 0, "lostWorkers": 0} }
        """

    /// Six seeded walks of 400 steps; together they must reach every state and every attempt
    /// outcome, so that every rule is compared.
    @Test func theStoreFollowsTheRulebook() throws {
        var outcomes = Set<String>(), states = Set<JobState>()
        for seed in 1...6 as ClosedRange<UInt64> {
            let (o, s) = try walk(seed: seed, steps: 400)
            outcomes.formUnion(o)
            states.formUnion(s)
        }
        #expect(outcomes == Set(AttemptOutcome.allCases.map(\.rawValue)), "outcomes seen: \(outcomes)")
        #expect(states == Set(JobState.allCases), "states seen: \(states)")
    }

    /// One walk; returns the attempt outcomes and job states it reached.
    func walk(seed: UInt64, steps: Int) throws -> (outcomes: Set<String>, states: Set<JobState>) {
        let clock = TestClock()
        let store = try JobStore(path: temporaryDatabase(), leaseSeconds: 60, backoffSeconds: 7, clock: { clock.now })
        var model = Model(timing: store.timing)
        for text in [Self.staged, Self.urgent] { _ = try store.submit(try Sweep.parse(Data(text.utf8)), document: "{}") }
        // The model starts from the submitted jobs: queued, with their budgets and parents.
        try store.pool.read { db in
            for r in try Row.fetchAll(db, sql: """
                SELECT j.id, s.name AS sweep, j.priority, j.max_error_retries, j.max_lost_retries, j.timeout_seconds,
                       CASE WHEN j.parent_hash IS NULL THEN NULL ELSE \(JobStore.parentJob("j")) END AS parent
                FROM jobs j JOIN sweeps s ON s.id = j.sweep_id
                """) {
                let id: Int64 = r["id"]
                model.jobs[id] = JobLifecycle(maxErrorRetries: r["max_error_retries"], maxLostRetries: r["max_lost_retries"],
                                              timeoutSeconds: r["timeout_seconds"])
                model.sweep[id] = r["sweep"]
                model.priority[id] = r["priority"]
                model.parent[id] = r["parent"]
            }
        }
        #expect(model.jobs.count == 8 && model.parent.count == 4)

        var rng = SplitMix(state: seed)
        var log: [String] = [], states = Set<JobState>()
        for step in 0..<steps {
            let t = clock.now
            let leased = model.jobs.filter { $0.value.state == .leased }.keys.sorted()
            let someLeased = leased.isEmpty ? nil : leased[Int.random(in: 0..<leased.count, using: &rng)]
            let anyJob = Int64.random(in: 1...Int64(model.jobs.count), using: &rng)
            let roll = Int.random(in: 0..<100, using: &rng)
            var what = ""
            switch roll {
            case 0..<20:
                what = "claim"
                try store.reap()
                model.reap(at: t)
                let claimed = try store.claim(worker: "w", host: "h")
                let expected = model.pick(at: t)
                #expect(claimed?.id == expected, "step \(step): the store claimed \(claimed.map { String($0.id) } ?? "nothing"), the rules pick \(expected.map { String($0) } ?? "nothing")")
                if let c = claimed, c.id == expected { try model.apply(.claim(token: c.claimToken), c.id, at: t) }
            case 20..<30:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "heartbeat \(id)"
                _ = try store.heartbeat(job: id, token: token, epoch: nil)
                try model.apply(.heartbeat(token: token), id, at: t)
            case 30..<40:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "complete \(id)"
                if Bool.random(using: &rng) {
                    try store.storeArtifact(job: id, token: token, data: Data("model \(id)".utf8))
                    model.models.insert(id)
                }
                try store.complete(job: id, token: token, result: sampleResult(0.9))
                try model.apply(.succeed(token: token), id, at: t)
                // The store keeps a model only with a result: one stored by an earlier attempt was dropped.
            case 40..<47:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "fail \(id)"
                try store.fail(job: id, token: token, error: "boom \(step)")
                try model.apply(.jobError(token: token, message: "boom \(step)"), id, at: t)
            case 47..<53:
                guard let id = someLeased, let token = model.jobs[id]?.claimToken else { continue }
                what = "release \(id)"
                try store.release(job: id, token: token)
                try model.apply(.release(token: token), id, at: t)
            case 53..<57:
                what = "stale heartbeat \(anyJob)"
                #expect(throws: StoreError.self) { try store.heartbeat(job: anyJob, token: String(repeating: "0", count: 64), epoch: nil) }
                #expect(throws: LifecycleError.staleClaim) { try model.jobs[anyJob]!.applying(.heartbeat(token: String(repeating: "0", count: 64)), at: t, timing: model.timing) }
            case 57..<79:
                // Most running workers send a heartbeat first, so that some jobs live long
                // enough to run past their timeout while others lose their lease.
                for id in leased where Int.random(in: 0..<10, using: &rng) < 7 {
                    let token = model.jobs[id]!.claimToken!
                    _ = try store.heartbeat(job: id, token: token, epoch: nil)
                    try model.apply(.heartbeat(token: token), id, at: t)
                }
                let dt = Double(Int.random(in: 1...60, using: &rng))
                what = "heartbeats, advance \(dt) s and reap"
                clock.advance(dt)
                try store.reap()
                model.reap(at: clock.now)
            case 79..<86:
                what = "cancel \(anyJob)"
                var storeRefused = false, rulesRefused = false
                do { _ = try store.cancel(jobs: [anyJob]) } catch { storeRefused = true }
                do { try model.apply(.cancel, anyJob, at: t) } catch { rulesRefused = true }
                #expect(storeRefused == rulesRefused, "step \(step): store and rules disagree on cancelling job \(anyJob)")
            case 86..<91:
                what = "retry"
                let ids = try store.retry(states: JobLifecycle.retryableStates)
                let expected = model.jobs.keys.sorted().filter { JobLifecycle.retryableStates.contains(model.jobs[$0]!.state) }
                #expect(ids == expected, "step \(step)")
                for id in expected { try model.apply(.retry, id, at: t) }
            case 91..<94:
                guard let id = model.jobs.keys.sorted().first(where: { model.jobs[$0]!.state == .succeeded }) else { continue }
                what = "invalidate \(id)"
                try store.invalidate(jobs: [id], reason: "checked \(step)")
                try model.apply(.invalidate, id, at: t)
                let last = model.jobs[id]!.attempts
                model.attempts[id]![last - 1].error = "result invalidated: checked \(step)"
                model.models.remove(id)
            default:
                let name = Bool.random(using: &rng) ? "staged" : "urgent"
                let pause = !model.paused.contains(name)
                what = "\(pause ? "pause" : "resume") \(name)"
                try store.setPaused(sweep: name, pause)
                if pause { model.paused.insert(name) } else { model.paused.remove(name) }
            }
            log.append(what)
            states.formUnion(model.jobs.values.map(\.state))
            try expectSameRows(store, model, step: step, after: log.suffix(3).joined(separator: "; "))
        }
        let seen = try store.pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT outcome FROM attempts") }
        return (Set(seen), states)
    }

    func expectSameRows(_ store: JobStore, _ model: Model, step: Int, after: String) throws {
        try store.pool.read { db in
            for id in model.jobs.keys.sorted() {
                let row = try store.load(db, id)
                #expect(row == model.jobs[id], "step \(step) (\(after)): job \(id) is \(String(describing: row)) in the store, \(String(describing: model.jobs[id])) by the rules")
                let attempts = try Row.fetchAll(db, sql: "SELECT outcome, error FROM attempts WHERE job_id = ? ORDER BY attempt", arguments: [id])
                    .map { Model.Attempt(outcome: $0["outcome"], error: $0["error"]) }
                #expect(attempts == model.attempts[id, default: []], "step \(step) (\(after)): attempts of job \(id)")
            }
        }
    }
}
