import Foundation
import SwiftGANNN

/// The options of `swiftgan train`, in the order its help lists them. Defaults that depend on the
/// model or the objective are written from the zoo's ``SourceSettings`` and the objectives'
/// ``ObjectiveDefaults``, so the help says what a run does.
public enum TrainOptions {
    public static let all: [TrainOption] = [
        .value(
            "model", "NAME", "model", \.model,
            help: "The architecture: " + ModelZoo.names.joined(separator: ", ") + ".",
            must: .choice(ModelZoo.names, noun: "model")),
        .value(
            "dataset", "NAME", "dataset", \.dataset,
            help:
                "fashion-mnist, mnist (28×28 gray), cifar10 (32×32 colour) or folder (--data-dir of PNG/JPEG files); curve-gan ignores it.",
            must: .choice(["fashion-mnist", "mnist", "cifar10", "folder"], noun: "dataset")),
        .value(
            "data-dir", "DIR", "dataDir", \.dataDir,
            help:
                "The folder holding the dataset's files (skips the cache, the system copy and the download); for --dataset folder, the images.",
            default:
                "the cache ($SWIFTGAN_CACHE or ~/.cache/swiftgan), then /usr/share/datasets, then a verified download"),
        .value(
            "steps", "N", "steps", \.steps,
            help: "Training steps; each is --d-steps D updates and --g-steps G updates.",
            must: .atLeast(1), resumable: true, also: { $0.epochs = nil }),
        .value(
            "epochs", "N", "epochs", \.epochs,
            help:
                "Epochs instead of steps: passes over the data (or --batches-per-epoch batches), one real batch per D update.",
            must: .atLeast(1), resumable: true),
        .value(
            "time-budget", "SECONDS", "timeBudget", \.timeBudget,
            help:
                "Stop after this much training time (a resumed run counts the time already spent), saving everything as at the last step.",
            must: .positive, resumable: true),
        .value(
            "batch-size", "N", "batchSize", \.batchSize, help: "Examples per batch.",
            default: perModel { "\($0.batchSize)" },
            must: .within(2...TrainPlan.maximumBatchSize), followsModel: true),
        .value("seed", "N", "seed", \.seed, help: "Fixes initialization, data order, noise and dropout."),
        .flag(
            "sync-bn", "syncBatchNorm", \.syncBatchNorm,
            help:
                "Under mpirun or srun (data-parallel: each process trains on its share of --batch-size): BatchNorm normalizes with the whole batch's statistics, for two all-reduces of 2C floats per BatchNorm per pass, instead of each process's share. One process: no change."
        ),
        .value(
            "precision", "fp32|bf16", "precision", \.precision,
            help:
                "bf16: mixed precision as PyTorch's autocast and Keras's mixed_bfloat16 do it: convolutions and matrix products round their inputs to bfloat16 and multiply at the CPU's bf16 rate with fp32 accumulation; weights, optimizer state, BatchNorm and losses stay fp32. Needs oneDNN and a CPU with AVX512_BF16 or AMX (refused elsewhere). Evaluation (FID) always runs in fp32.",
            default: "bf16 where the CPU has AVX512_BF16 or AMX, else fp32", must: .choice(["fp32", "bf16"]),
            resumable: true),
        .value(
            "init-from", "SOURCE", "initFrom", \.initFrom,
            help:
                "Start from trained weights (fine-tuning): a run folder (G and D from its training state), a generator.safetensors or discriminator.safetensors (that network only), or a pretrained model: "
                + Pretrained.names.joined(separator: ", ")
                + ". The same model with the same options; the run is new: its folder, data order, optimizers and steps are its own.",
            default: "a fresh initialization from --seed"),
        .value(
            "sample-every", "N", "sampleEvery", \.sampleEvery,
            help: "Steps between sample grids and checkpoints (the last step always).",
            must: .atLeast(1), resumable: true),
        .value("out", "DIR", "out", \.out, help: "The run folder.", default: "runs/<model>", followsModel: true),

        .value(
            "recipe", "NAME", "recipe", \.recipe,
            help: "A named set of options, filling those not given: "
                + Recipes.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ") + ".",
            default: "for a new run, " + commonThenExceptions(ModelZoo.all.map { ($0.name, $0.defaultRecipe) }),
            must: .choice(Recipes.names, noun: "recipe")),
        .value(
            "loss", "NAME", "loss", \.loss,
            help: "The objective: " + Objectives.names.joined(separator: ", ") + " (bce: the non-saturating GAN loss).",
            default: "bce", must: .choice(Objectives.names, noun: "loss")),
        .value(
            "optimizer", "NAME", "optimizer", \.optimizer,
            help: "The optimizer of both networks: adam, rmsprop or sgd.",
            default: "adam" + objectiveDefaults { $0.optimizer.map { "\($0)" } },
            must: .choice(["adam", "rmsprop", "sgd"])),
        .value(
            "lr", "RATE", "learningRate", \.learningRate, help: "The learning rate of both networks.",
            default: perModel { "\($0.learningRate)" }
                + objectiveDefaults { $0.optimizer.map { "\($0.learningRate)" } }, must: .positive),
        .value(
            "d-lr", "RATE", "discriminatorLearningRate", \.discriminatorLearningRate,
            help: "D's learning rate (TTUR, Heusel et al. 2017).",
            default: "--lr", must: .positive),
        .value(
            "g-lr", "RATE", "generatorLearningRate", \.generatorLearningRate, help: "G's learning rate.",
            default: "--lr", must: .positive),
        .value(
            "beta1", "B", "beta1", \.beta1, help: "Adam's β₁ for both networks.",
            default: perModel { "\($0.beta1)" } + objectiveDefaults { adamBetas($0).map { "\($0.0)" } }, must: .fraction
        ),
        .value(
            "beta2", "B", "beta2", \.beta2, help: "Adam's β₂ for both networks.",
            default: "0.999" + objectiveDefaults { adamBetas($0).map { "\($0.1)" } }, must: .fraction),
        .value(
            "d-steps", "N", "criticSteps", \.criticSteps, help: "D updates per step, each on a fresh real batch.",
            default: "1" + objectiveDefaults { $0.criticSteps.map { "\($0)" } }, must: .within(1...100)),
        .value(
            "g-steps", "N", "generatorSteps", \.generatorSteps,
            help:
                "G updates per step, the second and later on fresh noise (DCGAN-tensorflow's remedy when D wins too easily).",
            default: "1", must: .within(1...100)),
        .value(
            "clip", "C", "weightClip", \.weightClip,
            help: "Clamp D's parameters to ±C after each update (the original WGAN).",
            default: "none" + objectives { $0.weightClip.map { "\($0)" } }, must: .positive),
        .value(
            "gp-weight", "LAMBDA", "gradientPenalty", \.gradientPenalty,
            help: "Gradient penalty λ·(‖∇D(x̂)‖ − 1)² on interpolates of real and fake, one ε per example (0: off).",
            default: "none" + objectiveDefaults { $0.gradientPenalty.map { "\($0)" } }, must: .nonNegative),
        .value(
            "r1", "GAMMA", "r1", \.r1, help: "R1 penalty γ/2·E‖∇D(x)‖² on real data (Mescheder et al. 2018).",
            default: "none", must: .positive),
        .value(
            "lecam", "WEIGHT", "lecam", \.lecam,
            help:
                "LeCam regularization (Tseng et al. 2021): WEIGHT·(E[relu(D(x) − α_F)²] + E[relu(α_R − D(G(z)))²]) added to D's loss, α_R and α_F moving averages (0.99) of D's mean outputs on real and fake (0.3 is usual).",
            default: "none", must: .positive),
        .flag(
            "spectral-norm", "options.spectralNorm", \.options.spectralNorm,
            help:
                "Spectral normalization of D's Dense and Conv2D weights (Miyato et al. 2018; one power iteration per D update).",
            followsModel: true),
        .value(
            "ema", "DECAY", "ema", \.ema,
            help:
                "Samples, evaluation and the saved generator use a moving average of G's weights with this decay (0.999 is usual; with a warm-up).",
            default: "none", must: .fraction),
        .value(
            "diffaugment", "POLICIES", "diffAugment", \.diffAugment,
            help:
                "DiffAugment for every image D sees, real and fake: any of color,translation,cutout (Zhao et al. 2020).",
            default: "none",
            must: .custom("a comma-separated list of color, translation, cutout") { (try? DiffAugment($0)) != nil }),
        .value(
            "ada", "TARGET", "ada", \.ada,
            help:
                "Adaptive augmentation (ADA, Karras et al. 2020): each --diffaugment policy (color,translation,cutout if none is given) is applied to each image with a probability p that starts at 0 and, every 4 D updates, moves so that the mean sign of D's outputs on real images nears TARGET (0.6 is usual).",
            default: "none", must: .custom("in (0, 1)") { $0 > 0 && $0 < 1 }),
        .value(
            "ada-kimg", "K", "adaKimg", \.adaKimg,
            help: "With --ada: p can cross [0, 1] in K thousand real images (fewer: faster).",
            default: "500 (the paper's)", must: .positive),

        .value(
            "label-smoothing", "S", "targets.smoothing", \.[target: \.smoothing],
            help: "Real targets 1 − S for D (one-sided label smoothing, Salimans et al. 2016); "
                + Objectives.all.filter(\.usesTargets).map(\.name).joined(separator: " and ") + ".",
            default: "none: the model's targets, " + perModel { $0.targets.words },
            must: .custom("in [0, 0.5)") { (0..<0.5).contains($0) },
            followsModel: true),
        .flag(
            "two-sided", "targets.twoSided", \.[target: \.twoSided],
            help: "With --label-smoothing: fake targets S as well.", followsModel: true),
        .flag(
            "per-example", "targets.perExample", \.[target: \.perExample],
            help: "With --label-smoothing: each target drawn from U(1 − S, 1) (and U(0, S) if two-sided).",
            followsModel: true),
        .value(
            "label-flip", "P", "targets.flipProbability", \.[target: \.flipProbability],
            help: "Noisy labels: each of D's targets swapped with probability P.",
            default: "0", must: .custom("in [0, 0.5)") { (0..<0.5).contains($0) }, followsModel: true),
        .value(
            "d-dropout", "RATE", "options.discriminatorDropout", \.options.discriminatorDropout,
            help: "Dropout after each hidden layer of D (0: the model's own).",
            default: perModel { $0.discriminatorDropout > 0 ? "\($0.discriminatorDropout)" : "none" }, must: .fraction,
            followsModel: true),
        .value(
            "d-norm", "KIND", "options.discriminatorNormalization", \.options.discriminatorNormalization,
            help: takers(.discriminatorNormalization)
                + ": D's normalization, batch or none (the other models' Ds have none).",
            default: "batch; none for "
                + Objectives.all.filter { !$0.defaults.allowsBatchNorm }.map(\.name).joined(separator: ", "),
            must: .choice(["batch", "none"]), followsModel: true),
        .value(
            "width", "W", "options.width", \.options.width,
            help: takers(.width) + ": the base channel count (dcgan64's G goes 8w → 4w → 2w → w).",
            default: "32; 16 for sngan", must: .custom("in 1...256") { (1...256).contains($0) }, followsModel: true),
        .value(
            "image-size", "H[xW]", "options.imageSize", \.options.imageSize,
            help: takers(.imageSize)
                + ": the images' size, square (64) or height x width (48x80); each side even, 8…256.",
            default: "64; 32 for cifar10; 28 for mnist and fashion-mnist",
            must: .custom("two sides in 8...256") { [$0.height, $0.width].allSatisfy((8...256).contains) },
            followsModel: true),
        .value(
            "channels", "C", "options.channels", \.options.channels,
            help: takers(.channels) + ": 1 (gray) or 3 (RGB).", default: "3; 1 for mnist and fashion-mnist",
            must: .custom("1 or 3") { [1, 3].contains($0) }, followsModel: true),
        .value(
            "classes", "N", "options.classes", \.options.classes,
            help: takers(.classes) + ": how many classes it draws.",
            default: "the dataset's (10 for the MNISTs and cifar10; a folder's subfolders)",
            must: .within(2...ModelZoo.maximumClasses), followsModel: true),
        .flag(
            "unconditional", "options.unconditional", \.options.unconditional,
            help: takers(.unconditional) + ": ignore the data's classes (conditional BatchNorm and projection off).",
            followsModel: true),
        .value(
            "conditioning", "KIND", "options.conditioning", \.options.conditioning,
            help: "How a conditional model takes the labels (" + ModelZoo.conditioningTakers
                + "). concatenation: the one-hot label joins G's input and D's; projection: conditional BatchNorm in G, "
                + "⟨embed(y), φ(x)⟩ in D's head; auxiliary: D also classifies (1 + C logits and a class loss, as ACGAN).",
            default: "the model's own: "
                + ModelZoo.all.compactMap { m in m.conditionings.first.map { "\(m.name) \($0)" } }.joined(
                    separator: ", "),
            must: .choice(ModelZoo.conditionings, noun: "conditioning"), followsModel: true),
        .value(
            "attention", "RES", "options.attention", \.options.attention,
            help: takers(.attention)
                + ": a self-attention block (SAGAN, in BigGAN's form) after G's block and after D's block that make RES×RES maps; RES lies between the first grid and the image (28: 14; 32: 8, 16; 64: 8, 16, 32).",
            default: "none", followsModel: true),
        .flag(
            "minibatch-stddev", "options.minibatchStddev", \.options.minibatchStddev,
            help: takers(.minibatchStddev)
                + ": the minibatch standard deviation (ProGAN, StyleGAN; groups of 4) as one more channel before D's last block; D then judges real and fake batches apart, and --batch-size must be a multiple of 4.",
            followsModel: true),
        .value(
            "fit", "MODE", "fit", \.fit,
            help:
                "--dataset folder: an image of another aspect is scaled to cover the model's size and centre-cropped (crop) or scaled to fit inside it with black around (pad).",
            default: "crop", must: .choice(["crop", "pad"])),
        .value(
            "body", "NAME", "options.body", \.options.body,
            help:
                takers(.body)
                + ": the body it conditions, mlp (mlp-gan's layers), dcgan, or dcgan64 (any --image-size and --channels).",
            default: "mlp", must: .choice(["mlp", "dcgan", "dcgan64"]), followsModel: true),
        .value(
            "sampling", "MODE", "sampling", \.sampling,
            help:
                "Batching: epochs (shuffle without replacement) or random (each batch drawn at random: the tutorials' mode).",
            default: perModel { $0.randomBatchesPerEpoch == nil ? "epochs" : "random" },
            must: .choice(["epochs", "random"]),
            followsModel: true),
        .value(
            "batches-per-epoch", "N", "batchesPerEpoch", \.batchesPerEpoch,
            help: "Batches per epoch in random sampling mode.",
            default: perModel { "\($0.randomBatchesPerEpoch ?? 100)" }, must: .atLeast(1), followsModel: true),

        .value(
            "eval-every", "N", "evalEvery", \.evalEvery,
            help:
                "Measure FID and KID every N steps and at the end with the shipped evaluator (Fashion-MNIST and MNIST models).",
            default: "never", must: .atLeast(1), resumable: true),
        .value(
            "eval-samples", "N", "evalSamples", \.evalSamples,
            help: "Images generated for each --eval-every measurement.", default: "2000",
            must: .within(2...50_000)),
        .value(
            "evaluator", "FILE", "evaluator", \.evaluator,
            help: "With --eval-every: an evaluator from swiftgan train-evaluator.",
            default: "the one shipped for the dataset", resumable: true),
    ]

    public static func named(_ name: String) -> TrainOption? { all.first { $0.name == name } }

    /// The keys `config.json` may hold: the options' and the groups they sit in.
    public static var keys: Set<String> {
        Set(
            all.map(\.key)
                + all.compactMap {
                    $0.key.split(separator: ".").count > 1 ? String($0.key.split(separator: ".")[0]) : nil
                })
    }

    /// The error for an unknown `--name`, with the nearest known names.
    static func unknown(_ name: String) -> String {
        let near = all.map(\.name).filter {
            $0.hasPrefix(String(name.prefix(2))) || name.contains($0) || $0.contains(name)
        }
        return "unknown option '--\(name)'"
            + (near.isEmpty ? "" : " (did you mean " + near.map { "--" + $0 }.joined(separator: ", ") + "?)")
            + "; swiftgan train --help lists them"
    }

    /// A per-model setting in words: the most common value, then the models that differ
    /// ("64; dcgan 32, acgan 128"). cgan takes its body's.
    static func perModel(_ value: (SourceSettings) -> String) -> String {
        let values = ModelZoo.all.filter { $0.sourceNote == nil }.map { ($0.name, value($0.source)) }
        let notes = ModelZoo.all.compactMap { model in model.sourceNote.map { "\(model.name): \($0)" } }
        return commonThenExceptions(values) + (notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")")
    }

    /// The models that read a model option, for its help ("dcgan64, resnet-gan").
    static func takers(_ key: ModelOptions.Key) -> String { ModelZoo.models(taking: key).joined(separator: ", ") }

    static func commonThenExceptions(_ values: [(name: String, value: String)]) -> String {
        let counts = Dictionary(values.map { ($0.value, 1) }, uniquingKeysWith: +)
        guard let common = values.map(\.value).max(by: { counts[$0]! < counts[$1]! }) else { return "" }
        let exceptions = values.filter { $0.value != common }.map { "\($0.name) \($0.value)" }
        return common + (exceptions.isEmpty ? "" : "; " + exceptions.joined(separator: ", "))
    }

    static func objectives(_ value: (any GANObjective) -> String?) -> String {
        Objectives.all.compactMap { o in value(o).map { "; \(o.name) \($0)" } }.joined()
    }

    static func objectiveDefaults(_ value: (ObjectiveDefaults) -> String?) -> String {
        objectives { value($0.defaults) }
    }

    static func adamBetas(_ defaults: ObjectiveDefaults) -> (Float, Float)? {
        if case .adam(_, let b1, let b2)? = defaults.optimizer { return (b1, b2) }
        return nil
    }

}

/// The target options as settings of their own, for the table (nil targets: the model's).
extension TrainConfig {
    subscript<T>(target field: WritableKeyPath<TargetOptions, T?>) -> T? {
        get { targets?[keyPath: field] }
        set { targets = (targets ?? TargetOptions()).with { $0[keyPath: field] = newValue } }
    }
}

extension TargetOptions {
    /// This with a change; nil when no field is left set.
    func with(_ change: (inout TargetOptions) -> Void) -> TargetOptions? {
        var t = self
        change(&t)
        return t == TargetOptions() ? nil : t
    }
}
