import FATNNJobs
import FATNNVocabulary
import Foundation
import Testing

/// `Schemas/sweep.schema.json` is written by hand for editors and other tools; this suite holds
/// it to the vocabulary: the same names in every closed set, the same quantizer parameters with
/// the same values, the same kinds taking them, the same grid key paths.
@Suite struct SchemaVocabularyTests {
    static let schemaPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Schemas/sweep.schema.json").standardized.path

    /// The schema as nested dictionaries.
    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: schemaPath))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The object at `path` (keys) under `root`.
    static func node(_ root: [String: Any], _ path: String...) throws -> [String: Any] {
        var n = root
        for key in path { n = try #require(n[key] as? [String: Any], "schema has no \(path.joined(separator: "/"))") }
        return n
    }

    /// The non-null strings of an `enum` keyword.
    static func names(_ node: [String: Any]) throws -> [String] {
        try #require(node["enum"] as? [Any]).compactMap { $0 as? String }
    }

    static func expectSameSet<T: VocabularyTerm>(_ schemaNames: [String], _ type: T.Type, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(schemaNames.sorted() == T.allCases.map(\.rawValue).sorted(), "\(T.self) and the schema disagree", sourceLocation: sourceLocation)
    }

    @Test func closedSetsMatchTheVocabulary() throws {
        let job = try Self.node(try Self.schema(), "$defs", "job", "properties")
        Self.expectSameSet(try Self.names(try Self.node(job, "model")), ModelArchitecture.self)
        Self.expectSameSet(try Self.names(try Self.node(job, "dataset", "properties", "name")), DatasetName.self)
        Self.expectSameSet(try Self.names(try Self.node(job, "quantizer", "properties", "kind")), QuantizerKind.self)
        Self.expectSameSet(try Self.names(try Self.node(job, "training", "properties", "optimizer")), OptimizerKind.self)
        Self.expectSameSet(try Self.names(try Self.node(job, "training", "properties", "schedule")), LearningRateSchedule.self)
    }

    /// The schema lists the parameters once, for the kinds in its `if`; every kind with
    /// parameters must take exactly that list, and every other kind none.
    @Test func quantizerParametersMatchTheTable() throws {
        let quantizer = try Self.node(try Self.schema(), "$defs", "job", "properties", "quantizer")
        let takers = try Self.names(try Self.node(quantizer, "if", "properties", "kind"))
        #expect(takers.sorted() == QuantizerKind.allCases.filter { !$0.parameters.isEmpty }.map(\.rawValue).sorted())
        let params = try #require((try Self.node(quantizer, "then", "properties", "params")["anyOf"] as? [[String: Any]])?
            .first { $0["type"] as? String == "object" })
        let properties = try Self.node(params, "properties")
        for name in takers {
            let kind = try #require(QuantizerKind(rawValue: name))
            #expect(Set(kind.parameters.map(\.rawValue)) == Set(properties.keys), "parameters of \(name)")
        }
        for (name, value) in properties {
            let parameter = try #require(QuantizerParameter(rawValue: name), "schema parameter \(name) is not in the table")
            let p = try #require(value as? [String: Any])
            switch parameter.values {
            case .onOff:
                #expect((p["enum"] as? [Double]) == [0, 1], "\(name) is a switch")
            case .number(let range):
                #expect(p["type"] as? String == "number" && p["minimum"] as? Double == range.lowerBound && p["maximum"] as? Double == range.upperBound,
                        "\(name) takes numbers in \(range)")
            }
        }
    }

    @Test func gridKeyPathsMatch() throws {
        let grid = try Self.node(try Self.schema(), "properties", "grid")
        let listed = try #require((grid["propertyNames"] as? [String: Any])?["anyOf"] as? [[String: Any]]).first
        #expect(try Self.names(try #require(listed)).sorted() == JobConfig.gridKeyPaths.sorted())
        #expect(Set(try Self.node(grid, "properties").keys) == Set(JobConfig.gridKeyPaths))
    }

    /// Every parameter row is well formed: defaults allowed, switches default off.
    @Test func parameterRowsAreConsistent() {
        for p in QuantizerParameter.allCases {
            #expect(p.problem(with: p.defaultValue) == nil, "\(p)'s default is allowed")
            #expect(p.problem(with: .nan) != nil && p.problem(with: .infinity) != nil)
            #expect(QuantizerKind.allCases.contains { $0.parameters.contains(p) }, "some kind takes \(p)")
            if p.values == .onOff { #expect(p.defaultValue == 0 && p.problem(with: 0.5) != nil) }
        }
        #expect(QuantizerParameter.weightInit.problem(with: 100.5) == "100.5 is out of range 0.01...100.0")
        #expect("\(QuantizerKind.fatnnA2)" == "fatnn-a2" && "\(ModelArchitecture.cnnS)" == "cnn-s")
    }
}
