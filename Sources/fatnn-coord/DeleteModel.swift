import ArgumentParser
import FATNNCommandLine
import FATNNJobs

struct DeleteModel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-model",
        abstract: "Delete the stored models of a job's config (every replica; admin token).",
        discussion: """
            For a model that must not be fine-tuned from (a bad upload, a result later found wrong): \
            jobs that start from it wait until a new one is stored, e.g. after 'fatnn-coord invalidate' \
            runs its job again. 'fatnn-coord job ID' shows a job's config hash.
            """)

    @Argument(help: "The config hash (64 hex digits) of the job whose models to delete.")
    var configHash: String

    @OptionGroup var client: CoordinatorOptions

    func validate() throws {
        guard JobConfig.isConfigHash(configHash) else {
            throw ValidationError("'\(configHash)' is not a config hash (64 lowercase hex digits; 'fatnn-coord job ID' shows it)")
        }
    }

    func run() async throws {
        try await client.client().deleteArtifact(configHash: configHash)
        print("deleted the stored models of config \(configHash)")
    }
}
