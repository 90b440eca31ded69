import Foundation

/// The datasets SwiftGAN knows by name: where they are published, their files' SHA-256 sums, where
/// Debian/Ubuntu packages install them, and their class names.
public struct DatasetSpec {
    public struct File {
        public let name: String
        public let sha256: String
        public init(name: String, sha256: String) { (self.name, self.sha256) = (name, sha256) }
    }

    public let name: String
    public let trainImages: File, trainLabels: File, testImages: File, testLabels: File
    /// Base URLs tried in order; a file's URL is base + file name.
    public let mirrors: [String]
    /// Folders where a system package puts the files (checked without checksums: the package
    /// manager vouches for them, and Debian recompresses them, so their bytes differ from upstream).
    public let systemFolders: [String]
    public let classNames: [String]

    public init(
        name: String, trainImages: File, trainLabels: File, testImages: File, testLabels: File,
        mirrors: [String], systemFolders: [String], classNames: [String]
    ) {
        (self.name, self.trainImages, self.trainLabels, self.testImages, self.testLabels) = (
            name, trainImages, trainLabels, testImages, testLabels
        )
        (self.mirrors, self.systemFolders, self.classNames) = (mirrors, systemFolders, classNames)
    }

    public var files: [File] { [trainImages, trainLabels, testImages, testLabels] }

    public static let fashionMNIST = DatasetSpec(
        name: "fashion-mnist",
        trainImages: File(
            name: "train-images-idx3-ubyte.gz",
            sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        trainLabels: File(
            name: "train-labels-idx1-ubyte.gz",
            sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        testImages: File(
            name: "t10k-images-idx3-ubyte.gz",
            sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        testLabels: File(
            name: "t10k-labels-idx1-ubyte.gz",
            sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        mirrors: [
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ],
        systemFolders: ["/usr/share/datasets/fashion-mnist"],
        classNames: [
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ]
    )

    public static let mnist = DatasetSpec(
        name: "mnist",
        trainImages: File(
            name: "train-images-idx3-ubyte.gz",
            sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        trainLabels: File(
            name: "train-labels-idx1-ubyte.gz",
            sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        testImages: File(
            name: "t10k-images-idx3-ubyte.gz",
            sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        testLabels: File(
            name: "t10k-labels-idx1-ubyte.gz",
            sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        mirrors: [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        systemFolders: ["/usr/share/datasets/mnist"],
        classNames: (0..<10).map(String.init)
    )

    public static func named(_ name: String) throws -> DatasetSpec {
        switch name {
        case "fashion-mnist": return .fashionMNIST
        case "mnist": return .mnist
        default: throw DataError("unknown dataset '\(name)' (known: fashion-mnist, mnist)")
        }
    }
}
