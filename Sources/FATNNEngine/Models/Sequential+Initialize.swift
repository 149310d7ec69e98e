extension Sequential {
    /// Copies the values of every parameter and buffer of `source` whose name and size match one
    /// of this network's: how a quantized network starts from a full-precision checkpoint of the
    /// same model (latent weights, BatchNorm state), keeping its own quantizer parameters. A
    /// quantizer that would set its parameters from the first training batch does not when they
    /// were copied.
    ///
    /// - Returns: the names of this network's tensors that kept their initial values.
    /// - Throws: ``InitializationError`` if a name matches with a different size, or nothing
    ///   matches at all (the source is another model).
    @discardableResult
    public func initialize(from source: Sequential) throws(InitializationError) -> [String] {
        var values: [String: [Float]] = [:]
        for p in source.parameters { values[p.name] = p.value }
        for b in source.buffers { values[b.name] = b.value }
        var kept: [String] = [], copied = 0
        var assignments: [() -> Void] = []
        for p in parameters {
            guard let v = values[p.name] else { kept.append(p.name); continue }
            guard v.count == p.value.count else { throw .sizeMismatch(name: p.name, expected: p.value.count, found: v.count) }
            assignments.append { p.value = v }
            copied += 1
        }
        for b in buffers {
            guard let v = values[b.name] else { kept.append(b.name); continue }
            guard v.count == b.value.count else { throw .sizeMismatch(name: b.name, expected: b.value.count, found: v.count) }
            assignments.append { b.value = v }
            copied += 1
        }
        guard copied > 0 else { throw .nothingInCommon }
        for assign in assignments { assign() }
        // A quantizer that starts from data (a buffer `P_initialized`) but whose parameter `P`
        // came from the source keeps those values: it counts as initialized.
        let copiedParameters = Set(parameters.map(\.name)).subtracting(kept)
        for b in buffers where b.name.hasSuffix("_initialized") && kept.contains(b.name)
            && copiedParameters.contains(String(b.name.dropLast("_initialized".count))) {
            b.value = b.value.map { _ in 1 }
        }
        return kept
    }
}

/// Why a network cannot start from another one's values.
public enum InitializationError: Error, CustomStringConvertible, Equatable {
    case sizeMismatch(name: String, expected: Int, found: Int)
    case nothingInCommon

    public var description: String {
        switch self {
        case .sizeMismatch(let name, let expected, let found): "tensor \(name) has \(found) values in the source, expected \(expected)"
        case .nothingInCommon: "the source shares no tensor with this network (another architecture?)"
        }
    }
}
