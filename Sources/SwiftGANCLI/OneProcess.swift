import ArgumentParser
import Foundation
import SwiftGANTensors

/// Every command but `train` runs as one process. Started by mpirun or srun as several, each
/// process would draw and write the same files at once, so each refuses: rank 0 (the first
/// process) says why, and every process exits with status 64 before doing anything.
enum OneProcess {
    /// Refuses a launch of `command` as several processes.
    static func require(_ command: String) throws {
        let environment = ProcessInfo.processInfo.environment
        guard let launch = Collectives.launch(in: environment), let size = launch.size, size > 1 else { return }
        let rank =
            ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID", "PMIX_RANK"].lazy
            .compactMap { environment[$0].flatMap { Int($0) } }.first ?? 0
        if rank == 0 {
            FileHandle.standardError.write(
                Data(
                    ("Error: swiftgan \(command) runs as one process, but \(launch.variable) says \(size) were started: "
                        + "run it without mpirun or srun (swiftgan train is the data-parallel command)\n").utf8))
        }
        throw ExitCode(64)
    }
}
