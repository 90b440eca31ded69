import Foundation

/// Named sets of training options (`--recipe NAME`). A recipe fills only the options a run leaves
/// unset, so `--recipe hinge-sn --d-lr 2e-4` is the recipe with another D learning rate. The
/// resolved options, and the recipe's name, are written to `config.json`.
public enum Recipes {
    public struct Entry {
        public let name: String
        public let summary: String
        public let options: TrainConfig
    }

    public static let all: [Entry] = [
        Entry(
            name: "tutorial", summary: "the model's source: its tutorial's loss, optimizer, targets and batch size",
            options: TrainConfig()),
        Entry(
            name: "stable-bce",
            summary:
                "BCE with Adam(2e-4, β₁ 0.5), one-sided label smoothing 0.1 and two G updates per step (DCGAN-tensorflow's remedies)",
            options: with {
                $0.learningRate = 2e-4; $0.beta1 = 0.5; $0.targets = TargetOptions(smoothing: 0.1);
                $0.generatorSteps = 2
            }),
        Entry(
            name: "stable-bce-ema",
            summary: "stable-bce with an EMA of G (0.999) for samples, evaluation and the saved generator",
            options: with {
                $0.learningRate = 2e-4; $0.beta1 = 0.5; $0.targets = TargetOptions(smoothing: 0.1);
                $0.generatorSteps = 2; $0.ema = 0.999
            }),
        Entry(
            name: "lsgan", summary: "least squares (Mao et al. 2017) with Adam(2e-4, β₁ 0.5)",
            options: with {
                $0.loss = "lsgan"; $0.learningRate = 2e-4; $0.beta1 = 0.5
            }),
        Entry(
            name: "hinge-sn",
            summary:
                "hinge loss, spectral norm in D, TTUR Adam(D 4e-4, G 1e-4, β₁ 0, β₂ 0.9) and an EMA of G (SAGAN/BigGAN's settings)",
            options: with {
                $0.loss = "hinge"; $0.options.spectralNorm = true; $0.discriminatorLearningRate = 4e-4;
                $0.generatorLearningRate = 1e-4
                $0.beta1 = 0; $0.beta2 = 0.9; $0.ema = 0.999
            }),
        Entry(
            name: "ragan-sn",
            summary:
                "relativistic average BCE (Jolicoeur-Martineau 2018), spectral norm in D, Adam(8e-4, β₁ 0, β₂ 0.99) for both networks and an EMA of G (0.999): sngan's best measured at 420 s",
            options: with {
                $0.loss = "ragan"; $0.options.spectralNorm = true; $0.learningRate = 8e-4
                $0.beta1 = 0; $0.beta2 = 0.99; $0.ema = 0.999
            }),
        Entry(
            name: "wgan-gp",
            summary: "WGAN-GP as its paper: λ 10, Adam(1e-4, β₁ 0.5, β₂ 0.9), 5 critic updates per step",
            options: with { $0.loss = "wgan-gp" }),
        Entry(
            name: "diffaugment", summary: "stable-bce with DiffAugment (color, translation, cutout) and an EMA of G",
            options: with {
                $0.learningRate = 2e-4; $0.beta1 = 0.5; $0.targets = TargetOptions(smoothing: 0.1);
                $0.generatorSteps = 2
                $0.diffAugment = "color,translation,cutout"; $0.ema = 0.999
            }),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The recipe `swiftgan train` uses for a model when none is given: the model's own
    /// (``ZooModel/defaultRecipe``: the best measured per CPU-minute, docs/recipes.md, or the
    /// model's tutorial settings where no recipe has been measured better yet).
    public static func commandLineDefault(for model: String) -> String {
        (try? ModelZoo.entry(model))?.defaultRecipe ?? "tutorial"
    }

    public static func named(_ name: String) throws -> Entry {
        guard let entry = all.first(where: { $0.name == name }) else {
            throw GANError("unknown recipe '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return entry
    }

    private static func with(_ change: (inout TrainConfig) -> Void) -> TrainConfig {
        var c = TrainConfig()
        change(&c)
        return c
    }
}

extension TrainConfig {
    /// This configuration with its recipe's options filling the ones it leaves unset (itself when
    /// it names no recipe): each option fills itself from the preset where this one is nil.
    public func applyingRecipe() throws -> TrainConfig {
        guard let recipe else { return self }
        // The options are checked first, so a bad value is reported as the option's own error.
        // (The model's name is checked by `validate`: a model of one's own is not in the zoo.)
        try checkEachOption(modelFromZoo: false)
        let preset = try Recipes.named(recipe).options
        var config = self
        for option in TrainOptions.all { option.fill(&config, preset) }
        return config
    }
}
