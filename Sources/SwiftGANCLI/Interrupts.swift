import Dispatch
import Foundation
import SwiftGANArtifacts

/// Ctrl-C (SIGINT) and SIGTERM while training. The first asks the run to stop after its current
/// step, saving everything as at a sample point; a second stops the process at once (the last
/// saved state stays resumable: every file is written atomically). Under mpirun (which turns a
/// Ctrl-C into SIGTERM for every process) the ranks agree to stop at the same step.
final class Interrupts: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32?
    private var sources: [DispatchSourceSignal] = []
    /// Whether this process says what a signal does (the other ranks of a data-parallel run keep quiet).
    private let announces: Bool

    init(announce: Bool = true) {
        announces = announce
        for number in [SIGINT, SIGTERM] {
            // Handled on a queue of their own, not in a signal handler: any code may run there.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.handle(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }

    private func handle(_ number: Int32) {
        lock.lock()
        let isFirst = first == nil
        if isFirst { first = number }
        lock.unlock()
        if isFirst {
            guard announces else { return }
            FileHandle.standardError.write(
                Data(
                    "\n\(Self.name(number)): stopping after this step and saving everything (again: stop at once)\n"
                        .utf8))
        } else {
            FileHandle.standardError.write(
                Data(
                    "\n\(Self.name(number)) again: stopped at once; the last sample point's state can be resumed\n".utf8
                ))
            _exit(128 + number)
        }
    }

    /// Back to the default behaviour (training is over).
    func restore() {
        for source in sources { source.cancel() }
        sources = []
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
    }

    static func name(_ number: Int32) -> String {
        number == SIGINT ? "interrupted (Ctrl-C)" : number == SIGTERM ? "terminated (SIGTERM)" : "signal \(number)"
    }
}

/// Ctrl-C (SIGINT) and SIGTERM in the commands that write one file at the end (sample, evaluate,
/// export, interpolate, report, train-evaluator): the process stops at once, and the temporary
/// file of a write under way is deleted first, so the target keeps its old contents and nothing
/// hidden is left beside it.
enum StopCleanly {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                AtomicFile.removeTemporariesInProgress()
                FileHandle.standardError.write(Data("\n\(Interrupts.name(number)): stopped\n".utf8))
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// `text` quoted for a POSIX shell where it needs it.
func shellQuoted(_ text: String) -> String {
    let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+,@%")
    guard !text.isEmpty, text.unicodeScalars.allSatisfy(safe.contains) else {
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
    return text
}
