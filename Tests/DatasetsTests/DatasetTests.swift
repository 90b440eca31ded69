import Foundation
import SwiftGANDatasets
import SwiftGANTensors
import XCTest

/// A small dataset in the MNIST file layout: `count` images of h×w with pixel value (i·7 + j) % 256.
func writeFakeMNIST(to folder: URL, count: Int = 20, height: Int = 4, width: Int = 3, gzip: Bool = true) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let images = IDXFile(
        dimensions: [count, height, width], values: (0..<(count * height * width)).map { UInt8(($0 * 7) % 256) })
    let labels = IDXFile(dimensions: [count], values: (0..<count).map { UInt8($0 % 10) })
    for (name, file) in [
        ("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels),
        ("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels),
    ] {
        let data = file.encoded()
        try (gzip ? Gzip.compress(data) : data).write(to: folder.appendingPathComponent(gzip ? name + ".gz" : name))
    }
}

func temporaryFolder(_ name: String = #function) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "swiftgan-tests-\(getpid())-\(name.filter(\.isLetter))")
    try? FileManager.default.removeItem(at: url)
    return url
}

final class IDXTests: XCTestCase {
    func testReadsRawAndGzipAndMapsPixels() throws {
        let folder = temporaryFolder()
        try writeFakeMNIST(to: folder)
        try writeFakeMNIST(to: folder.appendingPathComponent("raw"), gzip: false)
        for dir in [folder, folder.appendingPathComponent("raw")] {
            var locator = DatasetLocator(explicitFolder: dir)
            locator.allowDownload = false
            let (data, _, source) = try locator.load(.mnist)
            XCTAssertEqual(source, .explicit)
            XCTAssertEqual(data.count, 20)
            XCTAssertEqual(data.imageShape, [4, 3, 1])
            XCTAssertEqual(data.labels[13], 3)
            let batch = data.batch([1], range: -1...1)
            XCTAssertEqual(batch.shape, [1, 4, 3, 1])
            XCTAssertEqual(batch[0, 0, 0, 0], Float((12 * 7) % 256) / 255 * 2 - 1, accuracy: 1e-6)
        }
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    func testCorruptFilesNameTheFileAndTheProblem() throws {
        let good = IDXFile(dimensions: [2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8]).encoded()
        XCTAssertTrue(message { try IDXFile(data: good.prefix(20), name: "imgs.idx") }.contains("imgs.idx"))
        XCTAssertTrue(message { try IDXFile(data: good.prefix(20), name: "x") }.contains("truncated"))
        XCTAssertTrue(message { try IDXFile(data: good + Data([0]), name: "x") }.contains("trailing"))
        var badMagic = good
        badMagic[0] = 0x50
        XCTAssertTrue(message { try IDXFile(data: badMagic, name: "x") }.contains("not an IDX file"))
        var badType = good
        badType[2] = 0x0D
        XCTAssertTrue(message { try IDXFile(data: badType, name: "x") }.contains("float"))
        XCTAssertTrue(message { try IDXFile(data: Data([0, 0, 8]), name: "x") }.contains("too short"))
        XCTAssertTrue(message { try IDXFile(data: Data([0, 0, 8, 3, 0, 0]), name: "x") }.contains("3 dimensions"))
        let gz = Gzip.compress(good)
        XCTAssertTrue(message { try IDXFile(data: gz.prefix(gz.count - 6), name: "cut.gz") }.contains("cut.gz"))
        var corrupt = gz
        corrupt[12] ^= 0xff
        XCTAssertFalse(message { try IDXFile(data: corrupt, name: "bad.gz") }.isEmpty)
        XCTAssertEqual(try IDXFile(data: gz, name: "ok").values, [1, 2, 3, 4, 5, 6, 7, 8])
    }

    /// Headers that claim impossible sizes are refused before anything is allocated: dimensions
    /// whose product overflows (FFFFFFFF × 3, rank 255) and gzip data that inflates without end.
    func testHostileHeadersAndDecompressionBombs() throws {
        let huge = Data([0, 0, 8, 3] + [UInt8](repeating: 0xff, count: 12)) + Data([1, 2, 3])
        XCTAssertTrue(
            message { try IDXFile(data: huge, name: "huge.idx") }.contains(
                "dimensions [4294967295, 4294967295, 4294967295] need at least 4294967295 bytes"))
        let rank255 = Data([0, 0, 8, 255] + [UInt8](repeating: 0x7f, count: 4 * 255))
        XCTAssertTrue(message { try IDXFile(data: rank255, name: "deep.idx") }.contains("deep.idx"))
        let big = Data([0, 0, 8, 1, 0x7f, 0xff, 0xff, 0xff])
        XCTAssertTrue(message { try IDXFile(data: big, name: "x") }.contains("truncated"))
        // 64 MiB of zeros gzip to ≈64 KB: under a 16 MiB limit they are refused, without inflating them all.
        let bomb = Gzip.compress(Data(count: 64 << 20))
        XCTAssertLessThan(bomb.count, 1 << 20)
        XCTAssertTrue(
            message { _ = try Gzip.decompress(bomb, name: "bomb.gz", limit: 16 << 20) }.contains("inflates past 16 MiB")
        )
        XCTAssertEqual(try Gzip.decompress(bomb, name: "ok.gz").count, 64 << 20)
    }

    func testImagesAndLabelsMustAgree() throws {
        let folder = temporaryFolder()
        try writeFakeMNIST(to: folder, count: 5)
        try Gzip.compress(IDXFile(dimensions: [4], values: [0, 1, 2, 3]).encoded())
            .write(to: folder.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        let m = message { try DatasetLocator(explicitFolder: folder).load(.mnist) }
        XCTAssertTrue(m.contains("5 images") && m.contains("4 labels"), m)
    }
}

final class LocatorTests: XCTestCase {
    func testResolutionOrderExplicitCacheSystem() throws {
        let root = temporaryFolder()
        let system = root.appendingPathComponent("system/fashion-mnist")
        try writeFakeMNIST(to: system)
        var locator = DatasetLocator(cacheRoot: root.appendingPathComponent("cache"))
        locator.systemFolders = [system.path]
        locator.allowDownload = false
        XCTAssertEqual(try locator.locate(.fashionMNIST).source, .system)
        try writeFakeMNIST(to: root.appendingPathComponent("cache/fashion-mnist"))
        XCTAssertEqual(try locator.locate(.fashionMNIST).source, .cache)
        locator.explicitFolder = root.appendingPathComponent("nowhere")
        XCTAssertThrowsError(
            try locator.locate(.fashionMNIST), "an explicit folder without the files is an error, not a fallback")
    }

    func testDownloadVerifiesChecksumsAndSurvivesBadMirrors() throws {
        let folder = temporaryFolder()
        try writeFakeMNIST(to: folder)
        var routes: [String: LocalHTTPServer.Route] = [:]
        var files: [DatasetSpec.File] = []
        for name in [
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ] {
            let body = try Data(contentsOf: folder.appendingPathComponent(name))
            routes["/good/" + name] = .init(body: body)
            routes["/wrong/" + name] = .init(body: body + Data([1]))  // checksum mismatch
            routes["/dropped/" + name] = .init(body: body, cutAfter: body.count / 2)  // connection closes early
            files.append(.init(name: name, sha256: SHA256.hex(body)))
        }
        let server = try LocalHTTPServer(routes: routes)
        defer { server.stop() }
        let spec = DatasetSpec(
            name: "tiny", trainImages: files[0], trainLabels: files[1], testImages: files[2], testLabels: files[3],
            mirrors: [], systemFolders: [], classNames: (0..<10).map(String.init))
        let cache = temporaryFolder("cache")

        var locator = DatasetLocator(cacheRoot: cache)
        locator.systemFolders = []
        locator.mirrors = [server.baseURL + "wrong/", server.baseURL + "dropped/"]
        XCTAssertThrowsError(try locator.locate(spec)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("SHA-256 mismatch"), text)
            XCTAssertTrue(text.contains("dropped") || text.contains("download failed"), text)
        }
        let leftovers =
            (try? FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("tiny").path)) ?? []
        XCTAssertEqual(leftovers, [], "a failed download leaves nothing in the cache")

        locator.mirrors = [server.baseURL + "dropped/", server.baseURL + "good/"]
        let (folderFound, source) = try locator.locate(spec)
        XCTAssertEqual(source, DatasetLocator.Source.download)
        XCTAssertEqual(try locator.load(spec).dataset.count, 20)
        XCTAssertEqual(try locator.locate(spec).source, .cache, "the second time it comes from the cache")
        XCTAssertEqual(folderFound.lastPathComponent, "tiny")
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var streamed = SHA256()
        for _ in 0..<1000 { streamed.update(Data(repeating: 0x61, count: 1000)) }
        XCTAssertEqual(
            streamed.finalize().map { String(format: "%02x", $0) }.joined(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

final class BatchSamplerTests: XCTestCase {
    func testEpochsCoverEveryExampleOnceAndAreSeeded() {
        var sampler = BatchSampler(count: 10, batchSize: 3, rng: RandomGenerator(seed: 1))
        XCTAssertEqual(sampler.batchesPerEpoch, 3)
        let epoch = (0..<3).flatMap { _ in sampler.next() }
        XCTAssertEqual(Set(epoch).count, 9, "no repeats within an epoch")
        XCTAssertEqual(sampler.epoch, 0)
        _ = sampler.next()
        XCTAssertEqual(sampler.epoch, 1)
        var again = BatchSampler(count: 10, batchSize: 3, rng: RandomGenerator(seed: 1))
        XCTAssertEqual((0..<3).flatMap { _ in again.next() }, epoch)
    }

    func testRandomSamplingMode() {
        var sampler = BatchSampler(
            count: 5, batchSize: 8, mode: .randomSampling(batchesPerEpoch: 2), rng: RandomGenerator(seed: 2))
        XCTAssertEqual(sampler.batchesPerEpoch, 2)
        let batches = (0..<4).map { _ in sampler.next() }
        XCTAssertTrue(batches.allSatisfy { $0.count == 8 && $0.allSatisfy { (0..<5).contains($0) } })
        XCTAssertEqual(sampler.epoch, 1)
    }

    func testQuadraticCurvesAreInTheirFamily() {
        let curves = QuadraticCurves.sample(50, using: RandomGenerator(seed: 3))
        for i in 0..<50 {
            let ys = Array(curves.scalars[(i * 16)..<((i + 1) * 16)])
            XCTAssertTrue(QuadraticCurves.isInFamily(ys))
        }
        XCTAssertFalse(QuadraticCurves.isInFamily((0..<16).map { Float($0) / 8 - 1 }), "a straight line is not")
    }
}
