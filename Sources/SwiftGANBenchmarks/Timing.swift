import Foundation

/// Wall-clock seconds from a monotonic clock.
@inline(__always)
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Runs `body` repeatedly for at least `seconds` after `warmup` calls; returns per-call times in seconds.
func measure(warmup: Int, seconds: Double, minimumRuns: Int = 5, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    let start = now()
    while now() - start < seconds || times.count < minimumRuns {
        let t0 = now()
        body()
        times.append(now() - t0)
    }
    return times
}

extension Array where Element == Double {
    var median: Double { let s = sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
}

/// Peak resident set size of this process in MB (Linux: VmHWM from /proc; macOS: getrusage).
public func peakResidentMegabytes() -> Double {
    #if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
    {
        return kb / 1024
    }
    return .nan
    #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)
    #endif
}

/// The processor's name and widest vector extension as /proc/cpuinfo gives them, e.g.
/// "AMD EPYC (avx2)" (Linux; "unknown" elsewhere), so every figure names the CPU it came from.
public func cpuModel() -> String {
    #if os(Linux)
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
        let lines = text.split(separator: "\n")
        func field(_ name: String) -> String? {
            lines.first(where: { $0.hasPrefix(name) }).flatMap { line in
                line.firstIndex(of: ":").map { line[line.index(after: $0)...].trimmingCharacters(in: .whitespaces) }
            }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let isa = flags.contains("avx512f") ? "avx512" : flags.contains("avx2") ? "avx2" : "no avx2"
        return "\(field("model name") ?? "unknown") (\(isa))"
    }
    #endif
    return "unknown"
}
