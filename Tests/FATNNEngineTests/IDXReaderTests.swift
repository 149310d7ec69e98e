@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite struct IDXReaderTests {
    @Test(arguments: [false, true])
    func readsImagesAndLabels(gzip: Bool) throws {
        let dir = IDXFixtures.dataset(train: 30, test: 10, gzip: gzip)
        let d = try Dataset.load(.fashionMNIST, directory: dir)
        #expect(d.train.count == 30 && d.test.count == 10)
        #expect(d.train.height == 28 && d.train.width == 28 && d.train.channels == 1)
        let expected = IDXFixtures.bands(count: 30, seed: 1)
        #expect(d.train.pixels == expected.pixels)
        #expect(d.train.labels == expected.labels)
    }

    @Test func truncatedFileNamesFileAndSizes() throws {
        let dir = IDXFixtures.temporaryDirectory()
        let path = "\(dir)/x-images"
        var bytes = IDXFixtures.imagesFile(count: 3, rows: 2, cols: 2, pixels: Array(repeating: 1, count: 12))
        bytes.removeLast(5)
        IDXFixtures.write(bytes, to: path, gzip: false)
        #expect(throws: DataError.malformed(path: path, reason: "header promises 12 data bytes, file holds 7 (truncated or corrupt)")) {
            try IDXReader.readImages(path: path)
        }
    }

    @Test func truncatedGzipIsAnError() throws {
        let dir = IDXFixtures.temporaryDirectory()
        let gz = "\(dir)/full.gz"
        IDXFixtures.write(IDXFixtures.imagesFile(count: 50, rows: 28, cols: 28, pixels: IDXFixtures.bands(count: 50, seed: 3).pixels), to: gz, gzip: true)
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = "\(dir)/cut.gz"
        _ = FileManager.default.createFile(atPath: cut, contents: data.prefix(data.count / 2))
        do {
            _ = try IDXReader.readImages(path: cut)
            Issue.record("a truncated gzip file was accepted")
        } catch let e as DataError {
            #expect(e.description.hasPrefix(cut))
        }
    }

    @Test func wrongMagicAndMissingFile() throws {
        let dir = IDXFixtures.temporaryDirectory()
        IDXFixtures.write(IDXFixtures.labelsFile([UInt8](repeating: 1, count: 40)), to: "\(dir)/l", gzip: false)
        #expect(throws: DataError.self) { try IDXReader.readImages(path: "\(dir)/l") }
        do { _ = try IDXReader.readImages(path: "\(dir)/l") } catch { #expect("\(error)".contains("magic number is 0x801, expected 0x803")) }
        do {
            _ = try Dataset.load(.fashionMNIST, directory: "\(dir)/nowhere")
            Issue.record("missing directory accepted")
        } catch let e as DataError {
            #expect(e.description.contains("\(dir)/nowhere/train-images-idx3-ubyte"))
        }
    }
}
