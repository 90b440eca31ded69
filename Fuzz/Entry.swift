// libFuzzer's entry points for the targets of Fuzz/FuzzTargets.swift; scripts/fuzz
// compiles the two files with `-sanitize=fuzzer,address` against the package's modules.
// SWIFTGAN_FUZZ_TARGET names the target; with SWIFTGAN_FUZZ_SEEDS=DIR the binary writes the
// target's seed files into DIR and exits.
import Foundation

nonisolated(unsafe) var target: FuzzTargets.Target?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    guard let chosen = FuzzTargets.named(environment["SWIFTGAN_FUZZ_TARGET"] ?? "") else {
        fputs("set SWIFTGAN_FUZZ_TARGET to one of: \(FuzzTargets.all.map(\.name).joined(separator: ", "))\n", stderr)
        exit(64)
    }
    target = chosen
    if let folder = environment["SWIFTGAN_FUZZ_SEEDS"] {
        do {
            for (i, seed) in try chosen.seeds().enumerated() {
                try seed.write(to: URL(fileURLWithPath: folder).appendingPathComponent("seed-\(i)"))
            }
        } catch {
            fputs("cannot write the seeds of \(chosen.name): \(error)\n", stderr)
            exit(1)
        }
        exit(0)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    // Errors are the parsers' proper answer to bad input; only a crash is a finding.
    _ = try? target!.run(Data(bytes: bytes, count: count))
    return 0
}
