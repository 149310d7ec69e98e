/// The datasets, by the names jobs, model files and the command line use, and where hosts keep
/// them. The engine reads and normalizes them (`Dataset.load` in `FATNNEngine`).
public enum DatasetName: String, CaseIterable, Sendable, Codable, VocabularyTerm {
    /// Fashion-MNIST, from the Debian package `dataset-fashion-mnist`.
    case fashionMNIST = "fashion-mnist"
    /// MNIST, same IDX layout.
    case mnist = "mnist"
    /// CIFAR-10 in its binary version (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`).
    case cifar10 = "cifar10"

    /// The folder that holds a host's datasets, one subfolder per name, when no other is given.
    public static let defaultRoot = "/usr/share/datasets"

    /// Directory searched when no `--data-dir` is given: `defaultRoot/NAME`.
    public var defaultDirectory: String { Self.defaultRoot + "/" + rawValue }

    /// Number of classes.
    public var classes: Int { 10 }
}
