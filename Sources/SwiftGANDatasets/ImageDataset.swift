import Foundation
import SwiftGANTensors

/// Labelled images held as bytes (one byte per pixel channel, NHWC), converted to Float batches on
/// demand. 60,000 MNIST images take 47 MB this way instead of 188 MB as Float.
///
/// Every image of a dataset has the same shape, `height` rows × `width` columns × `channels`,
/// which need not be square (an image folder loaded at 48 × 80, say): image i is the bytes
/// `pixels[i·h·w·c ..< (i+1)·h·w·c]`, row by row.
///
/// ```swift
/// let strips = try ImageDataset(name: "strips", height: 2, width: 3, channels: 1,
///                               pixels: [UInt8](repeating: 255, count: 12), labels: [0, 0], classNames: ["white"])
/// strips.imageShape                  // [2, 3, 1]
/// strips.batch([1]).shape            // [1, 2, 3, 1], all 1.0
/// ```
public struct ImageDataset {
    public let name: String
    public let count: Int
    public let height: Int, width: Int, channels: Int
    public let pixels: [UInt8]
    /// One label per image, in `0..<classNames.count`.
    public let labels: [Int]
    public let classNames: [String]

    public init(
        name: String, height: Int, width: Int, channels: Int, pixels: [UInt8], labels: [Int], classNames: [String]
    ) throws {
        let (area, areaOverflow) = height.multipliedReportingOverflow(by: width)
        let (perImage, overflow) = area.multipliedReportingOverflow(by: channels)
        guard height >= 1, width >= 1, channels >= 1, !areaOverflow, !overflow, pixels.count % perImage == 0 else {
            throw DataError(
                "\(name): \(pixels.count) pixel values do not divide into \(height)×\(width)×\(channels) images")
        }
        guard labels.count == pixels.count / perImage else {
            throw DataError("\(name): \(pixels.count / perImage) images but \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DataError("\(name): label \(bad) outside 0..<\(classNames.count)")
        }
        (self.name, self.height, self.width, self.channels) = (name, height, width, channels)
        (self.pixels, self.labels, self.classNames) = (pixels, labels, classNames)
        self.count = labels.count
    }

    /// Reads an IDX image file ([n, h, w]) and its IDX label file ([n]); counts must agree.
    public init(name: String, imagesAt images: URL, labelsAt labels: URL, classNames: [String]) throws {
        let imageFile = try IDXFile(contentsOf: images)
        let labelFile = try IDXFile(contentsOf: labels)
        guard imageFile.dimensions.count == 3 else {
            throw DataError(
                "\(images.path): expected image dimensions [count, height, width], found \(imageFile.dimensions)")
        }
        guard labelFile.dimensions.count == 1 else {
            throw DataError("\(labels.path): expected label dimensions [count], found \(labelFile.dimensions)")
        }
        guard imageFile.dimensions[0] == labelFile.dimensions[0] else {
            throw DataError(
                "\(images.path) has \(imageFile.dimensions[0]) images but \(labels.path) has \(labelFile.dimensions[0]) labels"
            )
        }
        if let bad = labelFile.values.first(where: { Int($0) >= classNames.count }) {
            throw DataError("\(labels.path): label \(bad) outside 0..<\(classNames.count)")
        }
        try self.init(
            name: name, height: imageFile.dimensions[1], width: imageFile.dimensions[2], channels: 1,
            pixels: imageFile.values, labels: labelFile.values.map(Int.init), classNames: classNames)
    }

    public var imageShape: [Int] { [height, width, channels] }

    /// The images at `indices` as a [n, h, w, c] tensor, bytes mapped linearly onto `range`
    /// (0 → lower bound, 255 → upper bound): `-1...1` for tanh generators, `0...1` for sigmoid ones.
    public func batch(_ indices: [Int], range: ClosedRange<Float> = -1...1) -> Tensor {
        let per = height * width * channels
        let t = Tensor.zeros([indices.count] + imageShape)
        let scale = (range.upperBound - range.lowerBound) / 255, offset = range.lowerBound
        pixels.withUnsafeBufferPointer { src in
            for (row, i) in indices.enumerated() {
                let s = src.baseAddress! + i * per, d = t.data + row * per
                for j in 0..<per { d[j] = Float(s[j]) * scale + offset }
            }
        }
        return t
    }

    /// The first `n` images of each class, in class order: a fixed, diverse set of real examples
    /// to show beside generated ones.
    public func examplesPerClass(_ n: Int) -> [Int] {
        var picked: [Int] = []
        for c in 0..<classNames.count { picked += labels.indices.filter { labels[$0] == c }.prefix(n) }
        return picked
    }
}
