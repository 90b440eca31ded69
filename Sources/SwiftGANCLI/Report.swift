import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANTraining

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML page for a run, or comparing several side by side.",
        discussion: "Every run already keeps RUN/report.html up to date; this writes it again, or a comparison of runs."
    )

    @Argument(help: "Run folders.") var runs: [String]
    @Option(help: "The HTML file to write (default: RUN/report.html for one run, report.html for several).") var out:
        String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give one or more run folders") }
        if let out, !out.lowercased().hasSuffix(".html") {
            throw ValidationError("--out writes HTML; give a name ending in .html, not '\(out)'")
        }
    }

    func run() throws {
        try OneProcess.require("report")
        StopCleanly.install()
        let folders = runs.map { RunFolder(URL(fileURLWithPath: $0)) }
        let path = out ?? (folders.count == 1 ? folders[0].report.path : "report.html")
        // Writing into a run folder takes its lock: not while a run writes it.
        let parent = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        let lock = try folders.first { $0.url.standardizedFileURL.path == parent }.map {
            try FolderLock($0.url, holder: "swiftgan report")
        }
        defer { lock?.release() }
        // A run whose end failed on its animation, or that was stopped for good, gets it now.
        if let lock, let folder = folders.first(where: { $0.url.path == lock.folder.path }) {
            let log = { (line: String) in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            // Best effort: the page is still worth writing without it.
            do { if try folder.writeMissingAnimation(log: log) { print("wrote \(folder.animation.path)") } } catch {
                log("note: could not write the missing \(folder.animation.path): \(error)")
            }
        }
        let html = folders.count == 1 ? try RunReport.page(for: folders[0]) : try RunReport.comparison(of: folders)
        try AtomicFile.write(html, to: URL(fileURLWithPath: path))
        print("wrote \(path)")
    }
}
