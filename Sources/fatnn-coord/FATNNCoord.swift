import ArgumentParser

@main
struct FATNNCoord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fatnn-coord",
        abstract: "Keeps FATNN experiment jobs, hands them to workers, and serves the leaderboard.",
        discussion: """
            Start a coordinator with 'fatnn-coord serve --db runs.sqlite'; it is the only process that \
            writes the database. The other commands talk to it over HTTP with the bearer token that \
            'serve' writes to DB.token (or --token-file).
            """,
        subcommands: [Serve.self, Submit.self, Status.self, Results.self, Compare.self, Job.self, Cancel.self, Retry.self, Pause.self, Resume.self, Export.self, Bench.self, TLS.self, Token.self, Invalidate.self, DeleteModel.self, Migrate.self, Launch.self])
}
