import FATNNJobs

/// The Prometheus text exposition of the store's counters (`GET /metrics`).
enum PrometheusText {
    static func render(_ m: StoreMetrics) -> String {
        var out = "# HELP fatnn_jobs Jobs by state.\n# TYPE fatnn_jobs gauge\n"
        for s in JobState.allCases { out += "fatnn_jobs{state=\"\(s.rawValue)\"} \(m.jobs[s] ?? 0)\n" }
        out += "# HELP fatnn_queue_depth Jobs waiting for a worker.\n# TYPE fatnn_queue_depth gauge\n"
        out += "fatnn_queue_depth \(m.jobs[.queued] ?? 0)\n"
        out += "# HELP fatnn_leases Jobs leased to a worker now.\n# TYPE fatnn_leases gauge\n"
        out += "fatnn_leases \(m.jobs[.leased] ?? 0)\n"
        out += "# HELP fatnn_attempts_total Attempts (claims) by how they ended.\n# TYPE fatnn_attempts_total counter\n"
        for o in AttemptOutcome.allCases { out += "fatnn_attempts_total{outcome=\"\(o.rawValue)\"} \(m.attempts[o] ?? 0)\n" }
        out += "# HELP fatnn_completions_total Results accepted.\n# TYPE fatnn_completions_total counter\n"
        out += "fatnn_completions_total \(m.attempts[.ok] ?? 0)\n"
        out += "# HELP fatnn_failures_total Attempts ended by job errors or timeouts.\n# TYPE fatnn_failures_total counter\n"
        out += "fatnn_failures_total \((m.attempts[.error] ?? 0) + (m.attempts[.timeout] ?? 0))\n"
        out += "# HELP fatnn_lost_total Attempts whose worker was lost.\n# TYPE fatnn_lost_total counter\n"
        out += "fatnn_lost_total \(m.attempts[.lost] ?? 0)\n"
        out += "# HELP fatnn_paused_sweeps Sweeps whose jobs are not handed out.\n# TYPE fatnn_paused_sweeps gauge\n"
        out += "fatnn_paused_sweeps \(m.pausedSweeps)\n"
        return out
    }
}
