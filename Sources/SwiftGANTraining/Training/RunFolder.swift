import Foundation
import SwiftGANArtifacts

/// A run folder and the files a training run keeps in it. Every file is written atomically (a
/// temporary file, then a rename), at each sample point and at the end, except that
/// `history.csv` gets only its new rows appended once a process has written it whole.
public struct RunFolder {
    public let url: URL
    public var path: String { url.path }

    public init(_ url: URL) { self.url = url }

    /// What a run folder holds, in the order a reader wants it (`swiftgan train --help` lists it).
    public static let contents: [(name: String, what: String)] = [
        ("config.json", "the resolved configuration (`swiftgan train --config` repeats the run)"),
        ("generator.safetensors", "G's weights and BatchNorm statistics, the EMA's when --ema (`swiftgan sample`)"),
        ("discriminator.safetensors", "D's"),
        ("history.csv", "one line per step: losses, accuracies, seconds, FID/KID, the objective's metrics"),
        ("curves.png", "those over the steps"),
        ("samples/step-NNNNNN.png", "fixed-noise samples, real examples below, every --sample-every steps"),
        ("training.gif", "the samples as an animation, written at the end"),
        ("training-state.safetensors", "both networks, optimizers, EMA, random state and data order, for --resume"),
        ("quality.json", "what `swiftgan evaluate --json` measured of generator.safetensors, if it ran"),
        ("report.html", "the run on one self-contained page: curves, grids over time, GIF, quality, machine"),
        (
            "events.out.tfevents.*",
            "for TensorBoard (tensorboard --logdir runs): the curves, FID/KID, step rate, grids, configuration"
        ),
    ]

    public var config: URL { url.appendingPathComponent("config.json") }
    public var generator: URL { url.appendingPathComponent("generator.safetensors") }
    public var discriminator: URL { url.appendingPathComponent("discriminator.safetensors") }
    public var history: URL { url.appendingPathComponent("history.csv") }
    public var curves: URL { url.appendingPathComponent("curves.png") }
    public var animation: URL { url.appendingPathComponent("training.gif") }
    public var report: URL { url.appendingPathComponent("report.html") }
    public var quality: URL { url.appendingPathComponent("quality.json") }
    public var state: URL { url.appendingPathComponent("training-state.safetensors") }
    public var samples: URL { url.appendingPathComponent("samples") }

    /// The files of a run present here; none means the folder is free for a new run.
    public func runFiles() -> [URL] {
        [config, generator, discriminator, history, curves, animation, state, report, quality].filter {
            FileManager.default.fileExists(atPath: $0.path)
        }
            + (sampleSteps().isEmpty ? [] : [samples]) + tensorBoardFiles()
    }

    /// TensorBoard's event files, one per session of training (a resumed run adds one).
    public func tensorBoardFiles() -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
            $0.hasPrefix("events.out.tfevents.")
        }.sorted()
            .map { url.appendingPathComponent($0) }
    }

    /// Moves `files` (this folder's) into a new hidden folder inside it, by renames: nothing is
    /// copied or lost. Returns that folder.
    public func moveAside(_ files: [URL]) throws -> URL {
        let aside = url.appendingPathComponent(".replaced-\(Int(Date().timeIntervalSince1970))-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: false)
            for file in files {
                try FileManager.default.moveItem(at: file, to: aside.appendingPathComponent(file.lastPathComponent))
            }
        } catch {
            throw GANError(
                "cannot move the previous run in \(path) aside to \(aside.path): \(error.localizedDescription)")
        }
        return aside
    }

    public func samplePicture(step: Int) -> URL {
        samples.appendingPathComponent(String(format: "step-%06d.png", step))
    }

    /// The steps of the sample pictures present, in order.
    public func sampleSteps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("step-"), name.hasSuffix(".png") else { return nil }
            return Int(name.dropFirst(5).dropLast(4))
        }.sorted()
    }

    /// Deletes the sample pictures of steps after `step` (a resumed run draws them again).
    public func removeSamples(after step: Int) {
        for n in sampleSteps() where n > step { try? FileManager.default.removeItem(at: samplePicture(step: n)) }
    }

    /// The steps of the sample pictures `training.gif` shows: at most `maxFrames`, evenly spaced,
    /// the first and last always included.
    public func animationSteps(maxFrames: Int = 100) -> [Int] {
        sampleSteps().evenlySpaced(atMost: maxFrames)
    }

    /// The sample pictures of `steps`, in that order, read back from disk; unreadable ones are
    /// skipped with a note.
    public func samplePictures(steps: [Int], log: (String) -> Void) -> [RasterImage] {
        steps.compactMap { n in
            let url = samplePicture(step: n)
            // Not through links: the animation ends up in a page made for sharing.
            do { return try PNG.read(from: url, links: .refuse) } catch {
                log("skipping \(url.lastPathComponent) in the animation: \(error)")
                return nil
            }
        }
    }

    /// `training.gif` from the sample pictures on disk (``animationSteps(maxFrames:)``). The
    /// frames are chosen by step before anything is decoded, and only those are read: decoding
    /// every picture first took 4.6 GB at 1,002 sample points. Nothing is written without one.
    /// Writes `training.gif` if the folder has sample pictures and no animation (a run stopped
    /// before its end, or its end failed on the GIF); returns whether it wrote one. The caller
    /// holds the folder's lock.
    @discardableResult
    public func writeMissingAnimation(log: (String) -> Void) throws -> Bool {
        guard !InputFile.entryExists(animation), !sampleSteps().isEmpty else { return false }
        try writeAnimation(log: log)
        return FileManager.default.fileExists(atPath: animation.path)
    }

    public func writeAnimation(maxFrames: Int = 100, log: (String) -> Void) throws {
        let frames = samplePictures(steps: animationSteps(maxFrames: maxFrames), log: log)
        guard !frames.isEmpty else { return }
        try GIF.writeAnimation(frames, frameDelay: 40, lastFrameDelay: 300, to: animation)
    }
}
