/// A closed set of names (models, datasets, quantizer kinds, …): the raw values are what jobs,
/// files and flags spell, and they never change (config hashes depend on them). A term prints
/// as its raw value (`"\(kind)"` is `fatnn-a2`, not the case name).
public protocol VocabularyTerm: RawRepresentable, CaseIterable, Sendable, CustomStringConvertible where RawValue == String {}

extension VocabularyTerm {
    /// Every name, comma-separated, for help texts and errors: `mlp, cnn-s, resnet20`.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The raw value.
    public var description: String { rawValue }
}
