import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird

/// The web dashboard, served by the coordinator under `/ui`: leaderboard (filterable with the
/// query language, sortable by any column) with a Pareto plot, sweep progress with the running
/// jobs, a page per sweep (every job's curve, the progress, sampled fields against accuracy), a
/// paired comparison against a chosen baseline, a page per job with its attempts and training
/// curves, and one per config over its seeds. Plain server-rendered HTML
/// and SVG: no scripts, no external resources.
enum DashboardRoutes {
    static func add(to router: Router<CoordinatorContext>, store: any JobQueueStore, resolver: TokenResolver,
                    sessions: DashboardSessions) {
        router.get("ui/login") { request, _ in
            if let token = request.uri.queryParameters.get("token") {
                return try await login(token, resolver: resolver, sessions: sessions, next: request.uri.queryParameters.get("next"))
            }
            return html(loginPage(error: nil))
        }
        router.post("ui/login") { request, _ in
            let body = try await CoordinatorRoutes.bytes(request, limit: 4096)
            return try await login(DashboardAuth.form(body)["token"] ?? "", resolver: resolver, sessions: sessions)
        }
        router.get("ui/logout") { request, _ in
            let id = DashboardAuth.cookie(request, DashboardSessions.cookie)
            return Response(status: .seeOther, headers: [.location: "/ui/login", .setCookie: sessions.close(id)])
        }
        let ui = router.group("ui").add(middleware: DashboardAuth(resolver: resolver, sessions: sessions))
        ui.get { request, _ in try await leaderboard(request, store: store) }
        ui.get("compare") { request, _ in try await ComparePage.response(request, store: store) }
        ui.get("progress") { request, _ in
            html(progressPage(try await store.progress(), refresh: try refreshSeconds(request, default: 5)))
        }
        ui.get("sweeps/{name}") { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let sweep = try await store.progress().sweeps.first(where: { $0.name == name }) else {
                throw APIError(.sweepNotFound, "no sweep named '\(name)'")
            }
            let curves = try await store.curves(.sweep(name), limit: SweepPage.limit)
            let open = (sweep.counts["queued"] ?? 0) + (sweep.counts["leased"] ?? 0) > 0
            return html(SweepPage.render(sweep, curves: curves, refresh: open ? try refreshSeconds(request, default: 10) : nil))
        }
        ui.get("jobs/{id}/group") { _, context in
            let id = try CoordinatorRoutes.jobId(context)
            let curves = try await store.curves(.groupOf(job: id), limit: 1000)
            guard !curves.jobs.isEmpty else { throw APIError(.jobNotFound, "job \(id) does not exist") }
            return html(GroupPage.render(job: id, curves: curves))
        }
        ui.get("jobs/{id}") { request, context in
            let id = try CoordinatorRoutes.jobId(context)
            guard let d = try await store.jobDetail(id) else { throw APIError(.jobNotFound, "job \(id) does not exist") }
            // A job still queued or running reloads itself; a finished one stays put.
            let open = d.row.state == .queued || d.row.state == .leased
            return html(JobPage.render(d, refresh: open ? try refreshSeconds(request, default: 5) : nil))
        }
    }

    /// Opens a session (its id in the cookie, never the token) and redirects to `next` (a
    /// dashboard path) or the leaderboard.
    static func login(_ token: String, resolver: TokenResolver, sessions: DashboardSessions, next: String? = nil) async throws -> Response {
        guard let identity = try await resolver.identity(for: token) else {
            var r = html(loginPage(error: "That is not a token of this coordinator."))
            r.status = .unauthorized
            return r
        }
        let target = next.flatMap { $0.hasPrefix("/ui") && !$0.contains("//") && !$0.contains("\\") ? $0 : nil } ?? "/ui"
        return Response(status: .seeOther, headers: [.location: target, .setCookie: sessions.open(identity: identity.name)])
    }

    static func html(_ page: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8",
                                        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'"],
                 body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static func loginPage(error: String?) -> String {
        HTML.page(title: "Log in", body: """
            <h1>FATNN dashboard</h1>
            <form method="post" action="/ui/login" id="login">
            <p>Token (the coordinator's admin or worker token file):</p>
            <p><input type="password" name="token" autofocus> <button type="submit">Log in</button></p>
            </form>
            \(error.map { "<p class=\"error\" id=\"login-error\">\(HTML.escape($0))</p>" } ?? "")
            """)
    }

    static func leaderboard(_ request: Request, store: any JobQueueStore) async throws -> Response {
        let p = request.uri.queryParameters
        let filter = p.get("where") ?? ""
        let sort = p.get("sort") ?? "test_acc:desc"
        let group = p.get("group") != "false"
        var body = "<h1>Leaderboard</h1>"
        body += """
            <form method="get" action="/ui" id="query">
            <p><input type="text" name="where" value="\(HTML.escape(filter))" placeholder="quantizer in (fatnn, tnn) and model = resnet20 and test_acc &gt; 0.9">
            <input type="hidden" name="sort" value="\(HTML.escape(sort))">
            <label><input type="radio" name="group" value="true"\(group ? " checked" : "")> per config (over seeds)</label>
            <label><input type="radio" name="group" value="false"\(group ? "" : " checked")> per job</label>
            <button type="submit">Filter</button></p></form>
            """
        // One query serves the table and, grouped, the Pareto plot (which also needs the latency).
        let shown = group ? QueryFields.defaultGroupColumns : QueryFields.defaultJobColumns
        let plotted = group ? ParetoSection.columns.filter { !shown.contains($0) } : []
        let q = LeaderboardQuery(filter: filter, sort: sort, columns: shown + plotted, group: group, limit: 500)
        let table: QueryTable
        do { table = try await store.query(q) } catch let e as QueryError {
            return html(HTML.page(title: "Leaderboard", body: body + "<p class=\"error\" id=\"query-error\">\(HTML.escape(e.description))</p>"))
        }
        let (sortName, desc) = { () -> (String, Bool) in
            let parts = sort.split(separator: ":").map(String.init)
            return (parts.first ?? "", parts.count < 2 || parts[1] != "asc")
        }()
        let sortLink: (String) -> String = { c in
            let dir = (c == sortName || c == sortName + "_mean") && desc ? "asc" : "desc"
            return "/ui?where=\(HTML.query(filter))&group=\(group)&sort=\(HTML.query(c + ":" + dir))"
        }
        let jobLink: ((JSONValue) -> String?)? = group ? nil : { v in if case .number(let id) = v { return "/ui/jobs/\(Int64(id))" } else { return nil } }
        body += HTML.table(table.selecting(shown), id: "leaderboard", link: jobLink, sortLink: sortLink)
        if group { body += ParetoSection.render(table) }
        return html(HTML.page(title: "Leaderboard", body: body))
    }

    /// `?refresh=N`: seconds between the page's own reloads, 1 to 3600, or 0 for none.
    static func refreshSeconds(_ request: Request, default value: Int) throws -> Int? {
        guard let text = request.uri.queryParameters["refresh"].map(String.init) else { return value }
        guard let n = Int(text), (0...3600).contains(n) else {
            throw APIError(.invalidRequest, "refresh: '\(text)' is not a whole number of seconds from 0 (off) to 3600")
        }
        return n == 0 ? nil : n
    }

    static func progressPage(_ p: API.ProgressReport, refresh: Int? = nil) -> String {
        var s = "<h1>Sweep progress</h1><table id=\"sweeps\"><thead><tr><th>sweep</th>"
        s += JobState.allCases.map { "<th>\($0.rawValue)</th>" }.joined() + "<th>total</th><th></th></tr></thead><tbody>"
        for sw in p.sweeps {
            s += "<tr data-sweep=\"\(HTML.escape(sw.name))\"><td><a href=\"/ui/sweeps/\(HTML.query(sw.name))\">\(HTML.escape(sw.name))</a></td>"
            s += JobState.allCases.map { "<td class=\"num\">\(sw.counts[$0.rawValue] ?? 0)</td>" }.joined()
            s += "<td class=\"num\">\(sw.counts.values.reduce(0, +))</td><td>\(sw.paused ? "paused" : "")</td></tr>"
        }
        s += "</tbody></table><h2>Running jobs</h2>"
        if p.live.isEmpty { return HTML.page(title: "Progress", body: s + "<p class=\"muted\" id=\"no-live\">No job is running.</p>", refresh: refresh) }
        s += "<table id=\"live\"><thead><tr><th>job</th><th>sweep</th><th>worker</th><th>host</th><th>epoch</th><th>loss</th><th>accuracy</th><th>last heartbeat</th></tr></thead><tbody>"
        for j in p.live {
            s += "<tr><td><a href=\"/ui/jobs/\(j.id)\">\(j.id)</a></td><td>\(HTML.escape(j.sweep))</td><td>\(HTML.escape(j.worker ?? "-"))</td>"
            s += "<td>\(HTML.escape(j.host ?? "-"))</td><td class=\"num\">\(j.epoch.map(String.init) ?? "-")/\(j.epochs)</td>"
            s += "<td class=\"num\">\(j.loss.map { String(format: "%.4f", $0) } ?? "-")</td>"
            s += "<td class=\"num\">\(j.accuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "-")</td>"
            s += "<td class=\"num\">\(j.heartbeatAge.map { String(format: "%.0f s ago", $0) } ?? "-")\(j.cancelRequested ? " (cancel requested)" : "")</td></tr>"
        }
        return HTML.page(title: "Progress", body: s + "</tbody></table>", refresh: refresh)
    }
}
