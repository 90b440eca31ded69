/// How an image of one aspect ratio becomes a `height` × `width` image, perhaps of another.
///
/// For an image of H × W pixels (rows × columns):
/// - ``crop`` scales the image by s = max(height / H, width / W), so that it covers the target,
///   and keeps the centre. What is resampled is the image's centred rectangle of the target's
///   aspect: one whole side, and width/height (or height/width) times it along the other, to the
///   nearest whole pixel, offset by whole pixels (rounded down). Nothing is invented; the ends of
///   the axis that is too long are lost. This is torchvision's `Resize` to the smallest size that
///   covers the target followed by `CenterCrop((height, width))` (for a square, `Resize(side)` and
///   `CenterCrop(side)`), and the default: the PyTorch DCGAN example prepares CelebA and LSUN this
///   way, and a generator never has to learn borders that no real photo has.
/// - ``pad`` scales the image by s = min(height / H, width / W), so that it fits inside, resamples
///   it to round(H·s) × round(W·s), centres it (offset by whole pixels, rounded down: an odd
///   pixel of border goes after it) and fills the rest with black: byte 0 in every channel, −1 in
///   a `-1...1` batch. Nothing is lost, but the bands are part of every real image, so the
///   generator learns to draw them too.
///
/// An image of the target's aspect is resampled whole either way. Shrinking averages areas and
/// enlarging interpolates bilinearly (``ImageFolder`` has the details).
///
/// ```swift
/// // A white picture 20 rows × 40 columns, at 20 × 20: crop keeps its middle 20 columns, all
/// // white; pad shrinks it to 10 × 20 and puts it in rows 5..<15, rows 0..<5 and 15..<20 black.
/// let (padded, _) = try ImageFolder.load(folder: pictures, height: 20, width: 20, channels: 3, fit: .pad)
/// ```
public enum ImageFit: String, CaseIterable, Sendable {
    case crop, pad
}
