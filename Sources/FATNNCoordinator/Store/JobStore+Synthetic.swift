import FATNNJobs
import FATNNVocabulary
import Foundation
import GRDB

extension JobStore {
    /// Fills an empty store with `count` finished synthetic jobs (groups of `seedsPerGroup`
    /// seeds over models, quantizers and learning rates, each with a result), in one SQL
    /// statement per table: for benchmarking queries over large stores (`fatnn-coord bench
    /// --query`), never for real sweeps.
    public func insertSyntheticJobs(count: Int, seedsPerGroup: Int = 10) throws {
        let t = now()
        // Every model and quantizer kind of the vocabulary (mlp with kind fp only would be
        // truer, but the queries only need the spread).
        let models = ModelArchitecture.allCases.map(\.rawValue), kinds = QuantizerKind.allCases.map(\.rawValue)
        try write { db in
            try db.execute(sql: "INSERT INTO sweeps (name, document, submitted_at) VALUES ('synthetic', '{}', ?)", arguments: [t])
            let sweep = db.lastInsertedRowID
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?),
                v AS (SELECT i, i / ? AS g, i % ? AS seed,
                             \(Self.sqlCase("(i / ?) % \(models.count)", models)) AS model,
                             \(Self.sqlCase("(i / ? / \(models.count)) % \(kinds.count)", kinds)) AS quantizer,
                             0.001 * (1 + (i / ? / \(models.count * kinds.count)) % 200) AS lr FROM n)
                INSERT INTO jobs (id, sweep_id, config_hash, replica, group_hash, config, model, dataset, split, quantizer,
                                  learning_rate, seed, epochs, state, created_at, updated_at)
                SELECT i + 1, ?, printf('c%d', i), 0, printf('g%d', g),
                       json_object('model', model, 'quantizer', json_object('kind', quantizer), 'seed', seed,
                                   'dataset', json_object('name', 'fashion-mnist'),
                                   'training', json_object('learningRate', lr, 'epochs', 10, 'batchSize', 128)),
                       model, 'fashion-mnist', 'val 0.1/s0', quantizer, lr, seed, 10, 'succeeded', ?, ?
                FROM v
                """, arguments: [count, seedsPerGroup, seedsPerGroup, seedsPerGroup, seedsPerGroup, seedsPerGroup, sweep, t, t])
            try db.execute(sql: """
                INSERT INTO results (job_id, test_accuracy, test_loss, val_accuracy, train_loss, train_seconds, images_per_second,
                                     host, threads, result, finished_at)
                SELECT id, 0.5 + (abs(random()) % 4500) / 10000.0, 0.4, 0.5 + (abs(random()) % 4500) / 10000.0, 0.3,
                       60 + abs(random()) % 600, 1000 + abs(random()) % 3000, 'synthetic', 2, '{}', ?
                FROM jobs WHERE sweep_id = ?
                """, arguments: [t, sweep])
            try db.execute(sql: "INSERT INTO group_results " + GroupSummary.select(where: "j.sweep_id = ?"), arguments: [sweep])
        }
    }

    /// `CASE expression WHEN 0 THEN 'names[0]' … ELSE 'names[last]' END`; the names are the
    /// vocabulary's raw values (letters, digits, `-`), never input.
    static func sqlCase(_ expression: String, _ names: [String]) -> String {
        let whens = names.dropLast().enumerated().map { "WHEN \($0.offset) THEN '\($0.element)'" }
        return "CASE \(expression) \(whens.joined(separator: " ")) ELSE '\(names.last ?? "")' END"
    }
}
