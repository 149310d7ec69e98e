import ArgumentParser

@main
struct FATNNCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fatnn",
        abstract: "Train and evaluate FATNN models locally, without a coordinator.",
        subcommands: [Train.self, Eval.self, Export.self, Inspect.self, Bench.self])
}
