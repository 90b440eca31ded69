// swiftgan-collective-check: checks the Collective that Collectives.fromEnvironment() picks,
// across the processes `mpirun -n N` starts (Tests/TensorsTests/CollectiveTests.swift runs it).
// Each rank prints one line, "rank R of N: ok" or "rank R of N: FAILED: …", and the job exits 0
// only when every rank's checks passed.
//
//   swiftgan-collective-check                 reductions, broadcasts and a barrier, twice: as
//                                             they come, then in chunks of 100,000 elements (the
//                                             path of counts over Int32.max)
//   swiftgan-collective-check --abort-on R    rank R aborts while the others wait in a barrier
//                                             it never joins: every process must end, nonzero
//   swiftgan-collective-check --time-sum N    times an in-place Float sum all-reduce of N values
//                                             (a training step's flat gradient buffer): rank 0
//                                             prints one JSON line with the median and best of 50
import Foundation
import SwiftGANCMPI
import SwiftGANTensors

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("swiftgan-collective-check: \(message)\n".utf8))
    exit(status)
}

func makeCollective() -> any Collective {
    do {
        return try Collectives.fromEnvironment()
    } catch {
        fail("\(error)", status: 2)
    }
}

/// One pass of the checks; what failed, one line each.
func check(_ collective: any Collective, pass: String) throws -> [String] {
    let rank = collective.rank
    let size = collective.size
    let triangle = size * (size + 1) / 2  // Σ (r + 1) over the ranks
    var failures: [String] = []

    // Float sum over 1,000,003 values: rank r holds (r + 1)·(i mod 4099) + ⌊i / 4099⌋, so the sum is
    // triangle·(i mod 4099) + size·⌊i / 4099⌋, an integer below 2²⁴ (exact in Float). The period
    // 4099 is prime: a chunk reduced into the wrong place shows.
    let count = 1_000_003
    var floats = (0..<count).map { Float((rank + 1) * ($0 % 4099) + $0 / 4099) }
    try floats.withUnsafeMutableBufferPointer { try collective.allReduceSum($0) }
    if let i = (0..<count).first(where: { floats[$0] != Float(triangle * ($0 % 4099) + size * ($0 / 4099)) }) {
        failures.append(
            "\(pass): Float sum [\(i)] is \(floats[i]), expected \(triangle * (i % 4099) + size * (i / 4099))")
    }

    // Double sum: (r + 1)/2 + i on rank r sums to triangle/2 + size·i.
    var doubles = (0..<100_003).map { Double(rank + 1) * 0.5 + Double($0) }
    try doubles.withUnsafeMutableBufferPointer { try collective.allReduceSum($0) }
    if let i = doubles.indices.first(where: { doubles[$0] != Double(triangle) * 0.5 + Double(size * $0) }) {
        failures.append("\(pass): Double sum [\(i)] is \(doubles[i])")
    }

    // Flags: [r, −r, 1 on the last rank].
    let flags = [Double(rank), -Double(rank), rank == size - 1 ? 1 : 0]
    let last = Double(size - 1)
    let expected: [(ReduceOperation, [Double])] = [
        (.max, [last, 0, 1]), (.min, [0, -last, size == 1 ? 1 : 0]),
        (.sum, [Double(triangle - size), -Double(triangle - size), 1]),
    ]
    for (op, result) in expected {
        var values = flags
        try collective.allReduce(&values, op)
        if values != result { failures.append("\(pass): \(op) of \(flags) is \(values), expected \(result)") }
    }

    // Broadcasts from the first and the last rank: 3 MB of bytes whose size the other ranks
    // learn from the root, and a buffer of Floats of the same size everywhere.
    for root in Set([0, size - 1]).sorted() {
        let pattern = { (i: Int) in UInt8(truncatingIfNeeded: i &* 31 &+ root) }
        var bytes = rank == root ? (0..<3_000_001).map(pattern) : [UInt8](repeating: 7, count: rank)
        try collective.broadcast(&bytes, from: root)
        if bytes.count != 3_000_001 {
            failures.append("\(pass): broadcast from \(root) gave \(bytes.count) bytes")
        } else if let i = bytes.indices.first(where: { bytes[$0] != pattern($0) }) {
            failures.append("\(pass): broadcast from \(root): byte \(i) is \(bytes[i]), expected \(pattern(i))")
        }
        var weights = (0..<1000).map { rank == root ? Float($0) + 0.25 : Float.nan }
        try weights.withUnsafeMutableBytes { try collective.broadcast($0, from: root) }
        if weights != (0..<1000).map({ Float($0) + 0.25 }) {
            failures.append("\(pass): broadcast of Floats from \(root) differs")
        }
    }

    // A root outside the job is refused before MPI sees it.
    var byte: UInt8 = 0
    do {
        try withUnsafeMutableBytes(of: &byte) { try collective.broadcast($0, from: size) }
        failures.append("\(pass): a broadcast from rank \(size) of \(size) was accepted")
    } catch is CollectiveError {}

    try collective.barrier()
    return failures
}

var abortRank: Int?
var timedCount: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--abort-on":
        guard let value = arguments.popFirst(), let rank = Int(value) else {
            fail("--abort-on needs a rank", status: 64)
        }
        abortRank = rank
    case "--time-sum":
        guard let value = arguments.popFirst(), let count = Int(value), (1...1 << 28).contains(count) else {
            fail("--time-sum needs a count of Floats in 1...2^28", status: 64)
        }
        timedCount = count
    default:
        fail("usage: swiftgan-collective-check [--abort-on RANK | --time-sum COUNT]", status: 64)
    }
}

let collective = makeCollective()
let line = "rank \(collective.rank) of \(collective.size)"

if let abortRank {
    guard (0..<collective.size).contains(abortRank) else { fail("no rank \(abortRank) in \(line)", status: 64) }
    do {
        var up = [1.0]
        try collective.allReduce(&up, .sum)  // every rank is running
        if collective.rank == abortRank {
            print("\(line): aborting")
            collective.abort(code: 3)
        }
        try collective.barrier()  // rank abortRank never comes: MPI ends this process
        print("\(line): FAILED: the barrier returned after rank \(abortRank) aborted")
    } catch {
        print("\(line): FAILED: \(error)")
    }
    exit(1)
}

if let timedCount {
    // 5 warm-up rounds, then 50 timed ones, each starting together after a barrier.
    var values = [Float](repeating: 1, count: timedCount)
    var seconds: [Double] = []
    do {
        for round in 0..<55 {
            try collective.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try values.withUnsafeMutableBufferPointer { try collective.allReduceSum($0) }
            if round >= 5 { seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            for i in values.indices { values[i] = 1 }
        }
        seconds.sort()
        if collective.rank == 0 {
            print(
                String(
                    format: #"{"ranks": %d, "floats": %d, "megabytes": %.3f, "median_ms": %.4f, "best_ms": %.4f}"#,
                    collective.size, timedCount, Double(timedCount * 4) / 1e6, seconds[seconds.count / 2] * 1e3,
                    seconds[0] * 1e3))
        }
        try collective.finalize()
        exit(0)
    } catch {
        print("\(line): FAILED: \(error)")
        collective.abort(code: 1)
    }
}

var failures: [String] = []
let environment = ProcessInfo.processInfo.environment
if let size = Int(environment["OMPI_COMM_WORLD_SIZE"] ?? ""), size != collective.size {
    failures.append("OMPI_COMM_WORLD_SIZE is \(size)")
}
if let rank = Int(environment["OMPI_COMM_WORLD_RANK"] ?? ""), rank != collective.rank {
    failures.append("OMPI_COMM_WORLD_RANK is \(rank)")
}
if collective.size > 1, !(collective is MPICollective) { failures.append("\(type(of: collective)) for several ranks") }
do {
    failures += try check(collective, pass: "whole")
    sg_mpi_set_chunk_limit(100_000)
    failures += try check(collective, pass: "chunked")
    sg_mpi_set_chunk_limit(0)
    // Every rank learns whether any failed, so that all of them finalize and exit alike.
    var failed = [failures.isEmpty ? 0.0 : 1.0]
    try collective.allReduce(&failed, .max)
    print(failures.isEmpty ? "\(line): ok" : "\(line): FAILED: \(failures.joined(separator: "; "))")
    try collective.finalize()
    exit(failed[0] == 0 ? 0 : 1)
} catch {
    // Other ranks may be waiting in a collective this one will not reach.
    print("\(line): FAILED: \(error)")
    collective.abort(code: 1)
}
