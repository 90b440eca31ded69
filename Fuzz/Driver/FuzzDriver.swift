// swiftgan-fuzz: SwiftGAN's parsers of outside input (Fuzz/Targets) as a command.
//
// The package's ordinary build makes a replay tool:
//   swiftgan-fuzz TARGET FILE...        run each file through the target's parser once
//   swiftgan-fuzz TARGET --seeds DIR    write the target's seed files into DIR
//   swiftgan-fuzz --list
// scripts/fuzz builds it with `--sanitize=fuzzer,address -DFUZZING`: then libFuzzer owns `main`
// and its flags, and the target comes from the environment:
//   SWIFTGAN_FUZZ_TARGET=idx swiftgan-fuzz [-max_total_time=600 ...] CORPUS_DIR...
//   SWIFTGAN_FUZZ_TARGET=idx SWIFTGAN_FUZZ_SEEDS=DIR swiftgan-fuzz    (writes the seeds, exits)
import Foundation
import SwiftGANFuzzing

func fail(_ message: String, status: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("swiftgan-fuzz: \(message)\n".utf8))
    exit(status)
}

func target(named name: String) -> FuzzTargets.Target {
    guard let target = FuzzTargets.named(name) else {
        fail("no target '\(name)'; the targets: \(FuzzTargets.all.map(\.name).joined(separator: ", "))", status: 64)
    }
    return target
}

func writeSeeds(of target: FuzzTargets.Target, into path: String) {
    do {
        let folder = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (i, seed) in try target.seeds().enumerated() {
            try seed.write(to: folder.appendingPathComponent("seed-\(i)"))
        }
    } catch {
        fail("cannot write the seeds of \(target.name): \(error)")
    }
}

#if FUZZING
nonisolated(unsafe) var fuzzed: FuzzTargets.Target!

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    fuzzed = target(named: environment["SWIFTGAN_FUZZ_TARGET"] ?? "")
    if let folder = environment["SWIFTGAN_FUZZ_SEEDS"] {
        writeSeeds(of: fuzzed, into: folder)
        exit(0)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    // An error is the parser's proper answer to bad input; only a crash is a finding.
    _ = try? fuzzed.run(count == 0 ? Data() : Data(bytes: bytes!, count: count))
    return 0
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments == ["--list"] {
            for target in FuzzTargets.all { print("\(target.name)\t\(target.summary)") }
            return
        }
        guard let name = arguments.first, arguments.count >= 2 else {
            fail("usage: swiftgan-fuzz TARGET FILE... | TARGET --seeds DIR | --list", status: 64)
        }
        let chosen = target(named: name)
        let rest = Array(arguments.dropFirst())
        if rest.count == 2, rest[0] == "--seeds" { return writeSeeds(of: chosen, into: rest[1]) }
        for path in rest {
            guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
            do {
                try chosen.run(data)
                print("\(path): parsed")
            } catch {
                print("\(path): refused: \(error)")
            }
        }
    }
}
#endif
