import FATNNJobs

/// The Prometheus text exposition of the store's counters (`GET /metrics`).
enum PrometheusText {
    static func render(_ m: StoreMetrics) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Int)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples { out += "\(name)\(s.labels) \(s.value)\n" }
        }
        metric("fatnn_jobs", "gauge", "Jobs by state.", JobState.allCases.map { ("{state=\"\($0.rawValue)\"}", m.jobs[$0] ?? 0) })
        metric("fatnn_queue_depth", "gauge", "Jobs waiting for a worker.", [("", m.jobs[.queued] ?? 0)])
        metric("fatnn_leases", "gauge", "Jobs leased to a worker now.", [("", m.jobs[.leased] ?? 0)])
        metric("fatnn_attempts_total", "counter", "Attempts (claims) by how they ended.",
               AttemptOutcome.allCases.map { ("{outcome=\"\($0.rawValue)\"}", m.attempts[$0] ?? 0) })
        metric("fatnn_completions_total", "counter", "Results accepted.", [("", m.attempts[.ok] ?? 0)])
        metric("fatnn_failures_total", "counter", "Attempts ended by job errors or timeouts.",
               [("", (m.attempts[.error] ?? 0) + (m.attempts[.timeout] ?? 0))])
        metric("fatnn_lost_total", "counter", "Attempts whose worker was lost.", [("", m.attempts[.lost] ?? 0)])
        metric("fatnn_paused_sweeps", "gauge", "Sweeps whose jobs are not handed out.", [("", m.pausedSweeps)])
        return out
    }
}
