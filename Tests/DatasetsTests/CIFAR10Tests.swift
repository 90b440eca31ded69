import Foundation
import SwiftGANDatasets
import XCTest

/// Channel c of pixel p of record n in a fake batch: every value says where it came from.
func fakeCIFARValue(record n: Int, channel c: Int, pixel p: Int, seed: Int) -> UInt8 {
    UInt8((n * 31 + c * 101 + p * 7 + seed) % 256)
}

/// `count` CIFAR-10 records; record n has label (n + seed) % 10 and pixels from ``fakeCIFARValue``.
func fakeCIFARBatch(count: Int, seed: Int) -> Data {
    var bytes: [UInt8] = []
    for n in 0..<count {
        bytes.append(UInt8((n + seed) % 10))
        for c in 0..<3 {
            for p in 0..<1024 { bytes.append(fakeCIFARValue(record: n, channel: c, pixel: p, seed: seed)) }
        }
    }
    return Data(bytes)
}

/// The six batch files, 2 records each in the training batches and 3 in the test batch.
func fakeCIFARFiles() -> [(name: String, data: Data)] {
    CIFAR10.trainFiles.enumerated().map { ($1, fakeCIFARBatch(count: 2, seed: $0 + 1)) } + [
        ("test_batch.bin", fakeCIFARBatch(count: 3, seed: 0))
    ]
}

func writeFakeCIFAR(to folder: URL) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for file in fakeCIFARFiles() { try file.data.write(to: folder.appendingPathComponent(file.name)) }
}

final class CIFAR10Tests: XCTestCase {
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    func testPlanesLandInNHWCPositions() throws {
        let root = temporaryFolder()
        try writeFakeCIFAR(to: root.appendingPathComponent("flat"))
        try writeFakeCIFAR(to: root.appendingPathComponent("nested/cifar-10-batches-bin"))
        for folder in [root.appendingPathComponent("flat"), root.appendingPathComponent("nested")] {
            let test = try CIFAR10.load(folder: folder, train: false)
            XCTAssertEqual(test.count, 3)
            XCTAssertEqual(test.imageShape, [32, 32, 3])
            XCTAssertEqual(
                test.classNames,
                ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
            XCTAssertEqual(test.labels, [0, 1, 2])
            for (n, y, x) in [(0, 0, 0), (1, 0, 31), (2, 17, 5), (2, 31, 31)] {
                for c in 0..<3 {
                    let expected = fakeCIFARValue(record: n, channel: c, pixel: y * 32 + x, seed: 0)
                    XCTAssertEqual(
                        test.pixels[((n * 32 + y) * 32 + x) * 3 + c], expected, "image \(n) (\(y), \(x)) channel \(c)")
                }
            }
            let train = try CIFAR10.load(folder: folder, train: true)
            XCTAssertEqual(train.count, 10)
            // Batches are concatenated in order: image 9 is record 1 of data_batch_5 (seed 5).
            XCTAssertEqual(train.labels[9], 6)
            let expected = fakeCIFARValue(record: 1, channel: 2, pixel: 3 * 32 + 4, seed: 5)
            XCTAssertEqual(train.pixels[9 * 3072 + (3 * 32 + 4) * 3 + 2], expected)
            XCTAssertEqual(train.batch([9], range: 0...1)[0, 3, 4, 2], Float(expected) / 255, accuracy: 1e-6)
        }
    }

    func testTruncatedTrailingAndBadLabelFilesNameTheFile() throws {
        let good = fakeCIFARBatch(count: 2, seed: 0)
        let truncated = message { try CIFAR10.decode(good.prefix(3073 + 100), name: "data_batch_2.bin") }
        XCTAssertTrue(truncated.contains("data_batch_2.bin") && truncated.contains("truncated"), truncated)
        let trailing = message { try CIFAR10.decode(good + Data([0]), name: "x.bin") }
        XCTAssertTrue(trailing.contains("trailing"), trailing)
        XCTAssertTrue(message { try CIFAR10.decode(Data(), name: "x.bin") }.contains("empty"))
        XCTAssertTrue(
            message { try CIFAR10.decode(good.prefix(10), name: "x.bin") }.contains("shorter than one record"))
        var badLabel = good
        badLabel[3073] = 10
        let label = message { try CIFAR10.decode(badLabel, name: "test_batch.bin") }
        XCTAssertTrue(
            label.contains("test_batch.bin") && label.contains("record 1") && label.contains("label 10"), label)

        let folder = temporaryFolder()
        try writeFakeCIFAR(to: folder)
        try good.prefix(5000).write(to: folder.appendingPathComponent("data_batch_3.bin"))
        let fromFolder = message { try CIFAR10.load(folder: folder, train: true) }
        XCTAssertTrue(
            fromFolder.contains(folder.appendingPathComponent("data_batch_3.bin").path)
                && fromFolder.contains("truncated"), fromFolder)
        XCTAssertNoThrow(
            try CIFAR10.load(folder: folder, train: false), "the test split does not read the damaged training batch")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("test_batch.bin"))
        let missing = message { try CIFAR10.load(folder: folder, train: false) }
        XCTAssertTrue(missing.contains("missing: test_batch.bin"), missing)
    }

    func testTarReaderKeepsRegularFilesAndChecksHeaders() throws {
        let longPath = String(repeating: "deep/", count: 25) + "file.bin"
        let members: [(path: String, type: Character, data: Data)] = [
            ("top/", "5", Data()),
            ("top/a.bin", "0", Data("alpha".utf8)),
            ("top/link.bin", "2", Data()),
            ("././@LongLink", "L", Data(("top/" + String(repeating: "n", count: 120) + ".bin\0").utf8)),
            ("top/nnnn", "0", Data(repeating: 7, count: 600)),
            (longPath, "0", Data([1, 2, 3])),
        ]
        let archive = Tar.archive(members)
        let files = try Tar.files(in: archive, name: "t.tar")
        XCTAssertEqual(
            files.map(\.path), ["top/a.bin", "top/" + String(repeating: "n", count: 120) + ".bin", longPath])
        XCTAssertEqual(files.map(\.data), [Data("alpha".utf8), Data(repeating: 7, count: 600), Data([1, 2, 3])])
        XCTAssertEqual(
            try Tar.files(in: Tar.archive(members, endBlocks: false), name: "t.tar").count, 3,
            "the end blocks are optional")

        var corrupt = archive
        corrupt[512 + 10] ^= 0x01
        let checksum = message { try Tar.files(in: corrupt, name: "bad.tar") }
        XCTAssertTrue(checksum.contains("bad.tar") && checksum.contains("checksum"), checksum)
        for length in [512 + 512 + 100, 512 * 3 + 3, archive.count - 1024 - 512 - 10] {
            let cut = message { try Tar.files(in: archive.prefix(length), name: "cut.tar") }
            XCTAssertTrue(cut.contains("cut.tar") && cut.contains("truncated"), cut)
        }
        for evil in ["../escape.bin", "a/../../escape.bin", "/etc/escape.bin"] {
            let refused = message { try Tar.files(in: Tar.archive([(evil, "0", Data([1]))]), name: "evil.tar") }
            XCTAssertTrue(refused.contains(evil) && refused.contains("refusing"), refused)
        }
        XCTAssertTrue(message { try Tar.files(in: Data(repeating: 0x41, count: 1024), name: "text") }.contains("text"))
    }

    func testDownloadVerifiesExtractsAndCaches() throws {
        var members = fakeCIFARFiles().map {
            (path: "cifar-10-batches-bin/" + $0.name, type: Character("0"), data: $0.data)
        }
        members.insert(("cifar-10-batches-bin/", "5", Data()), at: 0)
        members.append(("cifar-10-batches-bin/batches.meta.txt", "0", Data("airplane\n".utf8)))
        let archive = Gzip.compress(Tar.archive(members))
        let incomplete = Gzip.compress(Tar.archive(Array(members.prefix(3))))
        let server = try LocalHTTPServer(routes: [
            "/good/cifar-10-binary.tar.gz": .init(body: archive),
            "/wrong/cifar-10-binary.tar.gz": .init(body: archive + Data([0])),
            "/incomplete/cifar-10-binary.tar.gz": .init(body: incomplete),
        ])
        defer { server.stop() }
        let cache = temporaryFolder()
        let file = DatasetSpec.File(name: "cifar-10-binary.tar.gz", sha256: SHA256.hex(archive))
        var locator = DatasetLocator(cacheRoot: cache)
        var logged: [String] = []
        locator.log = { logged.append($0) }

        locator.mirrors = [server.baseURL + "wrong/"]
        let mismatch = message { try locator.locateCIFAR10(archive: file) }
        XCTAssertTrue(mismatch.contains("SHA-256 mismatch"), mismatch)
        XCTAssertEqual(
            (try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? [], [],
            "a failed download leaves nothing in the cache")

        locator.mirrors = [server.baseURL + "incomplete/"]
        let short = message {
            try locator.locateCIFAR10(archive: DatasetSpec.File(name: file.name, sha256: SHA256.hex(incomplete)))
        }
        XCTAssertTrue(short.contains("does not hold the six CIFAR-10 batch files"), short)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: cache.path), [],
            "a failed extraction leaves nothing in the cache")

        locator.mirrors = [server.baseURL + "wrong/", server.baseURL + "good/"]
        let (test, folder, source) = try locator.loadCIFAR10(train: false, archive: file)
        XCTAssertEqual(source, .download)
        XCTAssertEqual(folder.path, cache.appendingPathComponent("cifar-10/cifar-10-batches-bin").path)
        XCTAssertEqual(test.count, 3)
        XCTAssertEqual(
            test.pixels[(5 * 32 + 6) * 3 + 1], fakeCIFARValue(record: 0, channel: 1, pixel: 5 * 32 + 6, seed: 0))
        XCTAssertTrue(logged.contains { $0.hasPrefix("extracting") }, "\(logged)")
        let extracted = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(extracted, (CIFAR10.testFiles + CIFAR10.trainFiles).sorted(), "only .bin members are extracted")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: cache.path), ["cifar-10"],
            "no temporary files stay behind")

        locator.mirrors = []
        locator.allowDownload = false
        XCTAssertEqual(try locator.loadCIFAR10(train: true, archive: file).source, .cache)
        locator.explicitFolder = cache.appendingPathComponent("nowhere")
        XCTAssertTrue(
            message { try locator.locateCIFAR10() }.contains("nowhere"),
            "an explicit folder without the files is an error, not a fallback")
        locator.explicitFolder = cache.appendingPathComponent("cifar-10")
        XCTAssertEqual(try locator.locateCIFAR10().source, .explicit)
        var offline = DatasetLocator(cacheRoot: temporaryFolder("empty"))
        offline.allowDownload = false
        XCTAssertTrue(message { try offline.locateCIFAR10() }.contains("downloading is off"))
    }
}
