import FATNNJobs

/// The fields the query language knows, as fixed SQL expressions over `jobs j`, `sweeps s` and
/// `results r`. Names never reach SQL: a name selects one of these expressions, and dotted
/// config paths become `json_extract(j.config, ?)` with the path as a bound parameter.
enum QueryFields {
    struct Field {
        let sql: String
        let numeric: Bool
        /// A per-job outcome, aggregated (mean, std, min, max) in grouped mode.
        let metric: Bool
    }

    /// The fields in SQLite's SQL.
    static let all = fields(.sqlite)
    /// The fields in PostgreSQL's SQL.
    static let allPostgreSQL = fields(.postgresql)

    static func all(_ d: SQLDialect) -> [String: Field] { d == .sqlite ? all : allPostgreSQL }

    static func fields(_ d: SQLDialect) -> [String: Field] {
        var f: [String: Field] = [
            "id": Field(sql: "j.id", numeric: true, metric: false),
            "sweep": Field(sql: "s.name", numeric: false, metric: false),
            "state": Field(sql: "j.state", numeric: false, metric: false),
            "model": Field(sql: "j.model", numeric: false, metric: false),
            "quantizer": Field(sql: "j.quantizer", numeric: false, metric: false),
            "dataset": Field(sql: "j.dataset", numeric: false, metric: false),
            "split": Field(sql: "j.split", numeric: false, metric: false),
            "seed": Field(sql: "j.seed", numeric: true, metric: false),
            "lr": Field(sql: "j.learning_rate", numeric: true, metric: false),
            "epochs": Field(sql: "j.epochs", numeric: true, metric: false),
            "replica": Field(sql: "j.replica", numeric: true, metric: false),
            "attempts": Field(sql: "j.attempts", numeric: true, metric: false),
            "priority": Field(sql: "j.priority", numeric: true, metric: false),
            // The last epoch a job reported and its accuracy (validation, else training): what a
            // pruned or running job has instead of a result.
            "last_epoch": Field(sql: "j.last_epoch", numeric: true, metric: false),
            "last_acc": Field(sql: "j.last_accuracy", numeric: true, metric: false),
            "stage": Field(sql: "j.stage", numeric: false, metric: false),
            "host": Field(sql: "r.host", numeric: false, metric: false),
            // What the worker packed the model for (kernel kind, or float for fp), or why it could not.
            "packed_kernel": Field(sql: d.json("r.result", ["packed", "kernel"], as: .text), numeric: false, metric: false),
            "packed_error": Field(sql: d.json("r.result", ["packed", "error"], as: .text), numeric: false, metric: false),
        ]
        for (name, sql) in metrics(d) { f[name] = Field(sql: sql, numeric: true, metric: true) }
        for (alias, name) in aliases { f[alias] = f[name] }
        return f
    }

    /// Metrics in display order, with their SQLite SQL.
    static let metrics = metrics(.sqlite)

    /// Metrics in display order, with their SQL.
    static func metrics(_ d: SQLDialect) -> [(String, String)] {
        [
            ("test_acc", "r.test_accuracy"),
            ("val_acc", "r.val_accuracy"),
            ("test_loss", "r.test_loss"),
            ("train_loss", "r.train_loss"),
            ("train_seconds", "r.train_seconds"),
            ("images_per_s", "r.images_per_second"),
            ("packed_img_s", "64.0 / \(d.json("r.result", ["packed", "latencyBatch64"], as: .number))"),
            ("packed_latency_ms", "1000.0 * \(d.json("r.result", ["packed", "latencyBatch1"], as: .number))"),
            ("packed_exact", d.json("r.result", ["packedExact"], as: .bool)),
            ("gbops", "\(d.json("r.result", ["operations", "bitOps"], as: .number)) / 1e9"),
        ]
    }

    /// Config key paths with a column of their own.
    static let aliases: [String: String] = [
        "quantizer.kind": "quantizer", "dataset.name": "dataset", "training.learningRate": "lr", "training.epochs": "epochs",
    ]

    /// Per-job columns returned without grouping, in order.
    static let jobColumns = ["id", "sweep", "model", "quantizer", "dataset", "split", "seed", "lr", "epochs", "replica",
                             "attempts", "priority", "state", "last_epoch", "last_acc", "stage", "host", "packed_kernel", "packed_error"]
        + metrics.map(\.0)
    static let defaultJobColumns = ["id", "sweep", "model", "quantizer", "dataset", "split", "seed", "lr", "test_acc", "val_acc",
                                    "train_seconds", "images_per_s", "packed_img_s", "packed_exact", "state"]

    /// Per-group key columns (constant within a group, except sweep: the first one).
    static let groupKeys = ["sweep", "model", "quantizer", "dataset", "split", "lr", "epochs"]
    static let groupColumns = groupKeys + ["jobs", "n"] + metrics.flatMap { m in ["_mean", "_std", "_min", "_max"].map { m.0 + $0 } }
    static let defaultGroupColumns = groupKeys + ["n", "test_acc_mean", "test_acc_std", "test_acc_min", "test_acc_max",
                                                  "val_acc_mean", "train_seconds_mean", "packed_img_s_mean", "packed_exact_min", "gbops_mean"]

    /// A config key path that is not a named field: `a.b` or deeper, identifier characters only.
    static func isConfigPath(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.count <= 6 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 64 && p.first!.isLetter && p.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        }
    }
}
