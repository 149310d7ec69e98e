import FATNNJobs

/// The `group_results` table: per group (config minus seed), the count, sum, sum of squares,
/// min and max of every metric over the group's results, and the first sweep name, kept up to
/// date as each result is accepted. Grouped leaderboard queries whose filter names only the
/// group keys model, quantizer, dataset, split, lr and epochs (and no sweep) read one row per
/// group from it instead of aggregating every job, which keeps them fast on stores with a
/// million jobs; the others aggregate the jobs themselves.
enum GroupSummary {
    static let keys: [(column: String, sql: String)] = [
        ("model", "j.model"), ("quantizer", "j.quantizer"), ("dataset", "j.dataset"), ("split", "j.split"),
        ("lr", "j.learning_rate"), ("epochs", "j.epochs"),
    ]

    static let parts = ["count", "sum", "sumsq", "min", "max"]

    /// Schema version 4: the table, filled from the results already stored.
    static var migration: String {
        var columns = ["group_hash TEXT PRIMARY KEY", "sweep TEXT NOT NULL", "model TEXT NOT NULL",
                       "quantizer TEXT NOT NULL", "dataset TEXT NOT NULL", "split TEXT NOT NULL", "lr REAL NOT NULL",
                       "epochs INTEGER NOT NULL", "n INTEGER NOT NULL"]
        for (m, _) in QueryFields.metrics {
            columns += ["\(m)_count INTEGER NOT NULL", "\(m)_sum REAL NOT NULL", "\(m)_sumsq REAL NOT NULL", "\(m)_min REAL", "\(m)_max REAL"]
        }
        return """
        -- Schema version 4: per-group sums of every metric, kept as results are accepted, for fast
        -- grouped leaderboards (generated from the query fields in Sources/FATNNCoordinator/Query),
        -- and an index for filters on model and quantizer.
        CREATE TABLE group_results (
            \(columns.joined(separator: ",\n    "))
        );
        INSERT INTO group_results \(select(where: "1"));
        CREATE INDEX jobs_model_quantizer ON jobs(model, quantizer);  -- leaderboard filters on model and quantizer

        """
    }

    /// Aggregates of the results of the jobs matching `condition`, per group.
    static func select(where condition: String) -> String {
        var out = ["j.group_hash", "min(s.name)"] + keys.map { "min(\($0.sql))" } + ["count(*)"]
        for (_, x) in QueryFields.metrics {
            out += ["count(\(x))", "total(\(x))", "total((\(x)) * (\(x)))", "min(\(x))", "max(\(x))"]
        }
        return "SELECT " + out.joined(separator: ", ")
            + " FROM jobs j JOIN sweeps s ON s.id = j.sweep_id JOIN results r ON r.job_id = j.id WHERE \(condition) GROUP BY j.group_hash"
    }

    /// Adds one job's result (bind the job id).
    static let upsert: String = {
        var set = ["n = n + excluded.n", "sweep = min(sweep, excluded.sweep)"]
        for (m, _) in QueryFields.metrics {
            for p in ["count", "sum", "sumsq"] { set.append("\(m)_\(p) = \(m)_\(p) + excluded.\(m)_\(p)") }
            set.append("\(m)_min = coalesce(min(\(m)_min, excluded.\(m)_min), \(m)_min, excluded.\(m)_min)")
            set.append("\(m)_max = coalesce(max(\(m)_max, excluded.\(m)_max), \(m)_max, excluded.\(m)_max)")
        }
        return "INSERT INTO group_results " + select(where: "j.id = ?")
            + " ON CONFLICT (group_hash) DO UPDATE SET " + set.joined(separator: ", ")
    }()

    /// Group-level fields the summary can filter on, as its SQL.
    static let fields: [String: QueryFields.Field] = {
        var f: [String: QueryFields.Field] = [:]
        for (c, _) in keys { f[c] = QueryFields.Field(sql: "g.\(c)", numeric: c == "lr" || c == "epochs", metric: false) }
        for (alias, name) in QueryFields.aliases { f[alias] = f[name] }
        return f
    }()
}
