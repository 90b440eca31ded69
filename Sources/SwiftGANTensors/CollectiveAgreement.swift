import Foundation

/// How the ranks of a job fail together: a failure becomes one every rank throws at the same
/// point, so none is left waiting in a collective that another will never reach, and each can
/// finalize and exit. In one process (``SingleProcess``) each of these runs its body and lets
/// its error through unchanged.
///
/// - ``agreeing(_:)``: work every rank does (building a run, loading data): after it, the ranks
///   learn whether any failed.
/// - ``fromRankZero(_:)``, ``onRankZero(_:)``: work rank 0 does alone (files of the run folder):
///   its bytes, or its failure, reach every rank.
///
/// ```swift
/// let run = try collective.agreeing { try TrainingRun(config: config, collective: collective) }
/// try collective.onRankZero { try writeTheRunFolder() }   // the others wait, then go on or stop
/// ```
extension Collective {
    /// Runs `body` on this rank, then tells every rank whether any rank's `body` failed (one
    /// all-reduce of a flag per rank). If one did, every rank throws ``StoppedOnEveryRank``: a
    /// rank that failed with its own error, the others with one that names the failed ranks.
    /// Rank 0 reports; a failed rank reports its own error too, unless every rank failed (the
    /// same configuration error, most likely: said once).
    public func agreeing<T>(_ body: () throws -> T) throws -> T {
        guard size > 1 else { return try body() }
        let result = Result { try body() }
        var failed = [Double](repeating: 0, count: size)
        if case .failure = result { failed[rank] = 1 }
        try allReduce(&failed, .sum)
        let ranks = failed.indices.filter { failed[$0] > 0 }
        switch result {
        case .failure(let error):
            throw StoppedOnEveryRank(error, reportedHere: rank == 0 || ranks.count < size)
        case .success(let value):
            guard ranks.isEmpty else {
                let which = ranks.map(String.init).joined(separator: ", ")
                throw StoppedOnEveryRank(
                    RankFailure(
                        description:
                            "stopped: rank\(ranks.count == 1 ? "" : "s") \(which) of \(size) failed (the message is above)"
                    ),
                    reportedHere: rank == 0)
            }
            return value
        }
    }

    /// `make()`'s bytes on every rank: rank 0 runs it and broadcasts the bytes, or its error (then
    /// every rank throws ``StoppedOnEveryRank``, reported by rank 0). The other ranks wait for it,
    /// so this is also a barrier.
    public func fromRankZero(_ make: () throws -> [UInt8]) throws -> [UInt8] {
        guard size > 1 else { return try make() }
        var failure: (any Error)?
        var message: [UInt8] = []
        if rank == 0 {
            do {
                let payload = try make()
                message = [0] + payload
            } catch {
                failure = error
                message = [1] + Array("\(error)".utf8)
            }
        }
        try broadcast(&message, from: 0)
        guard let status = message.first else {
            throw CollectiveError(call: "fromRankZero", code: -1, message: "rank 0 sent nothing")
        }
        guard status == 1 else { return Array(message.dropFirst()) }
        throw StoppedOnEveryRank(
            failure ?? RankFailure(description: String(decoding: message.dropFirst(), as: UTF8.self)),
            reportedHere: rank == 0)
    }

    /// Runs `body` on rank 0 while the others wait; rank 0's error stops every rank
    /// (``fromRankZero(_:)`` without bytes).
    public func onRankZero(_ body: () throws -> Void) throws {
        _ = try fromRankZero {
            try body()
            return []
        }
    }
}

/// An error every rank of a job threw at the same point (``Collective/agreeing(_:)``,
/// ``Collective/fromRankZero(_:)``, or a decision the ranks took together, such as a diverged
/// loss): no rank waits in a collective, so each may finalize and exit. `reportedHere` says
/// whether this rank should print it: the rank it happened on, and rank 0 for what every rank saw.
public struct StoppedOnEveryRank: Error, CustomStringConvertible {
    /// What stopped the job: this rank's own error, or rank 0's, or one naming the ranks that failed.
    public let reason: any Error
    public let reportedHere: Bool

    public init(_ reason: any Error, reportedHere: Bool) {
        (self.reason, self.reportedHere) = (reason, reportedHere)
    }

    public var description: String { "\(reason)" }
}

/// What another rank's failure says on this one.
struct RankFailure: Error, CustomStringConvertible {
    let description: String
}
