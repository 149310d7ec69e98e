import CZlib
@testable import FATNNEngine
import FATNNVocabulary
import Foundation
import Testing

/// Model files that crossed a process boundary are checked before anything is built from them:
/// a header whose settings would trap a quantizer's initializer, a non-finite weight, a
/// checkpoint whose training state cannot be continued. Each gets a `DataError` naming the file
/// and the field (issue 19: an `activationInit: 0` artifact trapped every worker fine-tuning
/// from it).
@Suite struct HostileModelFileTests {
    static let shape = ImageShape(channels: 1, height: 28, width: 28)

    /// A valid cnn-s FATNN model file's bytes.
    static func validFile(training: TrainingState? = nil) throws -> [UInt8] {
        let settings = QuantizerSettings(kind: .fatnn)
        let model = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 1, quantizer: settings)
        var file = ModelFile(architecture: .cnnS, dataset: .fashionMNIST, input: shape, model: model, quantizer: settings)
        file.training = training
        return [UInt8](try file.encoded())
    }

    /// `bytes` with `old` replaced by `new` in the header (same length) and the checksum redone.
    static func patched(_ bytes: [UInt8], _ old: String, _ new: String) -> [UInt8] {
        precondition(old.utf8.count == new.utf8.count)
        var b = bytes
        let o = Array(old.utf8)
        guard let at = (0...(b.count - o.count)).first(where: { Array(b[$0..<($0 + o.count)]) == o }) else {
            Issue.record("'\(old)' is not in the file"); return b
        }
        b.replaceSubrange(at..<(at + o.count), with: Array(new.utf8))
        return resealed(b)
    }

    /// `bytes` with its JSON header rewritten by `change` (length and checksum redone).
    static func withHeader(_ bytes: [UInt8], _ change: (inout [String: [String: Any]]) -> Void) -> [UInt8] {
        let hlen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard var header = (try? JSONSerialization.jsonObject(with: Data(bytes[12..<(12 + hlen)]))) as? [String: Any] else {
            Issue.record("header is not a JSON object"); return bytes
        }
        var objects = header.compactMapValues { $0 as? [String: Any] }
        change(&objects)
        for (k, v) in objects { header[k] = v }
        guard let json = try? JSONSerialization.data(withJSONObject: header) else { return bytes }
        var out = Array(bytes[0..<8])
        for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: json.count >> s)) }
        out += json
        out += bytes[(12 + hlen)...]
        return resealed(out)
    }

    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var b = Array(bytes.dropLast(4))
        let crc = b.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        for s in stride(from: 0, to: 32, by: 8) { b.append(UInt8(truncatingIfNeeded: crc >> UInt32(s))) }
        return b
    }

    func refusal(_ bytes: [UInt8]) -> String? {
        do { _ = try ModelFile.decode(Data(bytes), name: "poisoned.model"); return nil } catch let e as DataError {
            return e.description
        } catch { return "unexpected \(error)" }
    }

    @Test func validFileStillDecodes() throws {
        let file = try ModelFile.decode(Data(try Self.validFile()), name: "ok.model")
        #expect(file.quantizer.kind == .fatnn && file.quantizer.activationInit == 2)
    }

    @Test func zeroOrNonFiniteQuantizerStepsAreRefusedBeforeBuilding() throws {
        let valid = try Self.validFile()
        // The header holds "activationInit":2 and "weightInit":1 (JSONEncoder, no spaces).
        for (old, new, field) in [("\"activationInit\":2", "\"activationInit\":0", "activationInit"),
                                  ("\"weightInit\":1", "\"weightInit\":0", "weightInit"),
                                  ("\"activationInit\":2", "\"activationInit\":-", "activationInit")] {
            let bytes = Self.patched(valid, old, new)
            let message = refusal(bytes)
            if new.hasSuffix("-") {
                #expect(message?.contains("poisoned.model: unreadable header") == true, "\(message ?? "accepted")")
            } else {
                #expect(message?.hasPrefix("poisoned.model: header quantizer: \(field) must be a finite number") == true,
                        "\(message ?? "accepted")")
            }
        }
    }

    @Test func nonFiniteTensorValuesAreRefused() throws {
        var bytes = try Self.validFile()
        // The last tensor value sits just before the checksum: make it NaN, then infinity.
        for bits: UInt32 in [0x7fc0_0000, 0x7f80_0000] {
            for i in 0..<4 { bytes[bytes.count - 8 + i] = UInt8(truncatingIfNeeded: bits >> UInt32(8 * i)) }
            let message = refusal(Self.resealed(bytes))
            #expect(message?.contains("not a finite number") == true && message?.hasPrefix("poisoned.model: tensor ") == true,
                    "\(message ?? "accepted")")
        }
    }

    @Test func checkpointStateThatCannotBeContinuedIsRefused() throws {
        let state = TrainingState(epoch: 1, step: 10, orderPosition: 3, augmentPosition: 4, adamSteps: nil,
                                  history: [EpochStats(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, validationAccuracy: nil,
                                                       learningRate: 0.1, seconds: 1, images: 100)])
        let valid = try Self.validFile(training: state)
        #expect(try ModelFile.decode(Data(valid), name: "ok.ckpt").training == state)
        let message = refusal(Self.withHeader(valid) { $0["training"]?["epoch"] = 7 })
        #expect(message == "poisoned.model: header training: history has 1 epochs; epoch is 7", "\(message ?? "accepted")")
        let negative = refusal(Self.withHeader(valid) { $0["training"]?["step"] = -1 })
        #expect(negative?.contains("header training: step must be ≥ 0, got -1") == true, "\(negative ?? "accepted")")
    }
}
