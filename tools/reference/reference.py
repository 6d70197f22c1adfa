"""The one PyTorch reference of ../shared/reference/000_db3785a50babc7de.txt in this repository.

Every Python tool that needs the article's models imports them from here, never from a copy:
tools/parity/make_model_fixtures.py (model parity fixtures), tools/parity/make_attention_fixtures.py
(`Self_Attention`), tools/parity/make_trajectory_fixtures.py (`build`, `optimizers`, `train_step`),
tools/bench/reference_step.py (the benchmark's reference timings) and tools/metrics/reference_samples.py. They
import it with a path relative to their own file, so they run from any working directory:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    import reference

Contents, the article's code with its comments and line breaks dropped, `super(Cls, self)` written `super()`, and
the two pairs renamed (the article names both `Generator` / `Discriminator`); the layers, their order, the
arguments and the computations are the article's:

- DCGAN: `DcganGenerator`, `DcganDiscriminator`; SAGAN: `Self_Attention`, `SaganGenerator`, `SaganDiscriminator`
  (constructors `(z_dim=20, image_size=64)`; `image_size` is a width multiplier, the images are 64 x 64);
- `weights_init`, the article's initialisation (use with `module.apply`);
- the article's losses: `bce_d_loss`, `bce_g_loss` (DCGAN, BCE with logits), `hinge_d_loss`, `hinge_g_loss` (SAGAN);
- `MODELS`: model name ('dcgan' | 'sagan') -> dict(G=, D=, d_loss=, g_loss=);
- `build`, `optimizers`: the pair after `weights_init` in train mode, and the article's Adam settings;
- `first`, `split`: a forward's output without / with its attention maps (DCGAN returns a tensor, SAGAN a tuple);
- `train_step`: one iteration of the article's `train_model` (D step, then G step).

The toolkit's variants of the article's models (working size 32, latent gap, no spectral norm in G, attention
placement) have no PyTorch counterpart yet; one that a script needs belongs here, as a subclass or a constructor
option of these classes, not as a copy in the script. Run with Debian's PyTorch (`/usr/bin/python3`).
"""
import torch
import torch.nn as nn


class DcganGenerator(nn.Module):
    def __init__(self, z_dim=20, image_size=64):
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.ConvTranspose2d(z_dim, image_size * 8, kernel_size=4, stride=1),
            nn.BatchNorm2d(image_size * 8),
            nn.ReLU(inplace=True))
        self.layer2 = nn.Sequential(
            nn.ConvTranspose2d(image_size * 8, image_size * 4, kernel_size=4, stride=2, padding=1),
            nn.BatchNorm2d(image_size * 4),
            nn.ReLU(inplace=True))
        self.layer3 = nn.Sequential(
            nn.ConvTranspose2d(image_size * 4, image_size * 2, kernel_size=4, stride=2, padding=1),
            nn.BatchNorm2d(image_size * 2),
            nn.ReLU(inplace=True))
        self.layer4 = nn.Sequential(
            nn.ConvTranspose2d(image_size * 2, image_size, kernel_size=4, stride=2, padding=1),
            nn.BatchNorm2d(image_size),
            nn.ReLU(inplace=True))
        self.last = nn.Sequential(
            nn.ConvTranspose2d(image_size, 1, kernel_size=4, stride=2, padding=1),
            nn.Tanh())

    def forward(self, z):
        out = self.layer1(z)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        out = self.last(out)
        return out


class DcganDiscriminator(nn.Module):
    def __init__(self, z_dim=20, image_size=64):
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(1, image_size, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.1, inplace=True))
        self.layer2 = nn.Sequential(
            nn.Conv2d(image_size, image_size * 2, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.1, inplace=True))
        self.layer3 = nn.Sequential(
            nn.Conv2d(image_size * 2, image_size * 4, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.1, inplace=True))
        self.layer4 = nn.Sequential(
            nn.Conv2d(image_size * 4, image_size * 8, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.1, inplace=True))
        self.last = nn.Conv2d(image_size * 8, 1, kernel_size=4, stride=1)

    def forward(self, x):
        out = self.layer1(x)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        out = self.last(out)
        return out


class Self_Attention(nn.Module):
    def __init__(self, in_dim):
        super().__init__()
        self.query_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim // 8, kernel_size=1)
        self.key_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim // 8, kernel_size=1)
        self.value_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim, kernel_size=1)
        self.softmax = nn.Softmax(dim=-2)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        X = x
        proj_query = self.query_conv(X).view(X.shape[0], -1, X.shape[2] * X.shape[3])
        proj_query = proj_query.permute(0, 2, 1)
        proj_key = self.key_conv(X).view(X.shape[0], -1, X.shape[2] * X.shape[3])
        S = torch.bmm(proj_query, proj_key)
        attention_map_T = self.softmax(S)
        attention_map = attention_map_T.permute(0, 2, 1)
        proj_value = self.value_conv(X).view(X.shape[0], -1, X.shape[2] * X.shape[3])
        o = torch.bmm(proj_value, attention_map.permute(0, 2, 1))
        o = o.view(X.shape[0], X.shape[1], X.shape[2], X.shape[3])
        out = x + self.gamma * o
        return out, attention_map


class SaganGenerator(nn.Module):
    def __init__(self, z_dim=20, image_size=64):
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.utils.spectral_norm(nn.ConvTranspose2d(z_dim, image_size * 8, kernel_size=4, stride=1)),
            nn.BatchNorm2d(image_size * 8),
            nn.ReLU(inplace=True))
        self.layer2 = nn.Sequential(
            nn.utils.spectral_norm(nn.ConvTranspose2d(image_size * 8, image_size * 4, kernel_size=4, stride=2, padding=1)),
            nn.BatchNorm2d(image_size * 4),
            nn.ReLU(inplace=True))
        self.layer3 = nn.Sequential(
            nn.utils.spectral_norm(nn.ConvTranspose2d(image_size * 4, image_size * 2, kernel_size=4, stride=2, padding=1)),
            nn.BatchNorm2d(image_size * 2),
            nn.ReLU(inplace=True))
        self.self_attntion1 = Self_Attention(in_dim=image_size * 2)
        self.layer4 = nn.Sequential(
            nn.utils.spectral_norm(nn.ConvTranspose2d(image_size * 2, image_size, kernel_size=4, stride=2, padding=1)),
            nn.BatchNorm2d(image_size),
            nn.ReLU(inplace=True))
        self.self_attntion2 = Self_Attention(in_dim=image_size)
        self.last = nn.Sequential(
            nn.ConvTranspose2d(image_size, 1, kernel_size=4, stride=2, padding=1),
            nn.Tanh())

    def forward(self, z):
        out = self.layer1(z)
        out = self.layer2(out)
        out = self.layer3(out)
        out, attention_map1 = self.self_attntion1(out)
        out = self.layer4(out)
        out, attention_map2 = self.self_attntion2(out)
        out = self.last(out)
        return out, attention_map1, attention_map2


class SaganDiscriminator(nn.Module):
    def __init__(self, z_dim=20, image_size=64):
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.utils.spectral_norm(nn.Conv2d(1, image_size, kernel_size=4, stride=2, padding=1)),
            nn.LeakyReLU(0.1, inplace=True))
        self.layer2 = nn.Sequential(
            nn.utils.spectral_norm(nn.Conv2d(image_size, image_size * 2, kernel_size=4, stride=2, padding=1)),
            nn.LeakyReLU(0.1, inplace=True))
        self.layer3 = nn.Sequential(
            nn.utils.spectral_norm(nn.Conv2d(image_size * 2, image_size * 4, kernel_size=4, stride=2, padding=1)),
            nn.LeakyReLU(0.1, inplace=True))
        self.self_attntion1 = Self_Attention(in_dim=image_size * 4)
        self.layer4 = nn.Sequential(
            nn.utils.spectral_norm(nn.Conv2d(image_size * 4, image_size * 8, kernel_size=4, stride=2, padding=1)),
            nn.LeakyReLU(0.1, inplace=True))
        self.self_attntion2 = Self_Attention(in_dim=image_size * 8)
        self.last = nn.Conv2d(image_size * 8, 1, kernel_size=4, stride=1)

    def forward(self, x):
        out = self.layer1(x)
        out = self.layer2(out)
        out = self.layer3(out)
        out, attention_map1 = self.self_attntion1(out)
        out = self.layer4(out)
        out, attention_map2 = self.self_attntion2(out)
        out = self.last(out)
        return out, attention_map1, attention_map2


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
        nn.init.constant_(m.bias.data, 0)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def bce_d_loss(d_out_real, d_out_fake):
    """DCGAN's D loss: BCE with logits, real -> 1, fake -> 0."""
    criterion = nn.BCEWithLogitsLoss(reduction='mean')
    label_real = torch.full((d_out_real.shape[0],), 1.0, device=d_out_real.device)
    label_fake = torch.full((d_out_fake.shape[0],), 0.0, device=d_out_fake.device)
    return criterion(d_out_real.view(-1), label_real) + criterion(d_out_fake.view(-1), label_fake)


def bce_g_loss(d_out_fake):
    """DCGAN's G loss: BCE with logits, fake -> 1."""
    criterion = nn.BCEWithLogitsLoss(reduction='mean')
    return criterion(d_out_fake.view(-1), torch.full((d_out_fake.shape[0],), 1.0, device=d_out_fake.device))


def hinge_d_loss(d_out_real, d_out_fake):
    """SAGAN's D loss: the hinge."""
    return torch.nn.ReLU()(1.0 - d_out_real).mean() + torch.nn.ReLU()(1.0 + d_out_fake).mean()


def hinge_g_loss(d_out_fake):
    """SAGAN's G loss."""
    return - d_out_fake.mean()


MODELS = {
    "dcgan": dict(G=DcganGenerator, D=DcganDiscriminator, d_loss=bce_d_loss, g_loss=bce_g_loss),
    "sagan": dict(G=SaganGenerator, D=SaganDiscriminator, d_loss=hinge_d_loss, g_loss=hinge_g_loss),
}


def build(model, z_dim=20, image_size=64):
    """The reference pair for `model` ('dcgan' | 'sagan'), initialised with weights_init, in train mode."""
    g, d = MODELS[model]["G"](z_dim, image_size), MODELS[model]["D"](z_dim, image_size)
    g.apply(weights_init)
    d.apply(weights_init)
    return g.train(), d.train()


def optimizers(model, g, d):
    """DCGAN and SAGAN in the article share these settings: Adam, g_lr 1e-4, d_lr 4e-4, betas (0, 0.9)."""
    return (torch.optim.Adam(g.parameters(), 0.0001, [0.0, 0.9]),
            torch.optim.Adam(d.parameters(), 0.0004, [0.0, 0.9]))


def first(out):
    """A forward's main output: DCGAN's nets return a tensor, SAGAN's a tuple (output, attention maps...)."""
    return out[0] if isinstance(out, tuple) else out


def split(out):
    """(output, [attention maps]) of a forward: [] for DCGAN."""
    return (out[0], list(out[1:])) if isinstance(out, tuple) else (out, [])


def train_step(model, g, d, g_opt, d_opt, imges, z_dim=20):
    """One iteration of the article's train_model: a D step then a G step. Returns (d_loss, g_loss)."""
    d_loss_of, g_loss_of = MODELS[model]["d_loss"], MODELS[model]["g_loss"]
    mini_batch_size = imges.size()[0]
    d_out_real = first(d(imges))
    input_z = torch.randn(mini_batch_size, z_dim).view(mini_batch_size, z_dim, 1, 1)
    fake_images = first(g(input_z))
    d_out_fake = first(d(fake_images))
    d_loss = d_loss_of(d_out_real, d_out_fake)
    g_opt.zero_grad()
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()

    input_z = torch.randn(mini_batch_size, z_dim).view(mini_batch_size, z_dim, 1, 1)
    fake_images = first(g(input_z))
    d_out_fake = first(d(fake_images))
    g_loss = g_loss_of(d_out_fake)
    g_opt.zero_grad()
    d_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


# ---------------------------------------------------------------- class-conditional models (not in the article)
#
# The conditional SAGAN and DCGAN that @gan/sagan and @gan/dcgan build with the option `numClasses`
# (tools/parity/make_conditional_fixtures.py writes their parity fixtures from these classes). Subclasses of the
# article's classes: the same layers, names and order, plus the class embeddings, so the state dicts equal the
# toolkit's and an unconditional checkpoint loads into them with strict=False.
#
# - generators: the BatchNorm2d of layer1...layer4 becomes ConditionalBatchNorm2d (de Vries et al. 2017, as in the
#   SAGAN and BigGAN generators): a BatchNorm2d without affine, then a scale and a shift per class, named
#   `layerK.1.bn.running_mean`, `layerK.1.gamma_embed.weight`, `layerK.1.beta_embed.weight`;
# - discriminators: a projection head (Miyato & Koyama 2018), logit = last(h) + <embed(y), h.view(B, -1)>, with h
#   the 4x4 feature map the article's last 4x4 convolution reads (that convolution is already a linear function of
#   the flattened map, the head's psi); `embed` is an nn.Embedding(num_classes, 8 * image_size * 4 * 4), spectrally
#   normalised in SAGAN (as SNGAN's and BigGAN's projection discriminators) and plain in DCGAN (no spectral norm
#   anywhere in the article's DCGAN);
# - `conditional_weights_init`: `weights_init` extended to these layers (gamma ~ N(1, 0.02), beta 0, like a
#   BatchNorm's weight and bias; the projection embedding ~ N(0, 0.02), like a convolution's weight).
# The forwards take the labels `y` (int64 [B] in [0, num_classes)) after the usual input.


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm2d without its own affine, then each sample's class scale and shift: gamma[y] * BN(x) + beta[y].
    gamma starts at 1 and beta at 0 (a plain BatchNorm2d)."""

    def __init__(self, num_features, num_classes, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features = num_features
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gamma_embed = nn.Embedding(num_classes, num_features)
        self.beta_embed = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gamma_embed.weight)
        nn.init.zeros_(self.beta_embed.weight)

    def forward(self, x, y):
        out = self.bn(x)
        gamma = self.gamma_embed(y).view(-1, self.num_features, 1, 1)
        beta = self.beta_embed(y).view(-1, self.num_features, 1, 1)
        return gamma * out + beta


def conditional_block(block, x, y):
    """Runs an nn.Sequential block, handing the labels to its ConditionalBatchNorm2d layers."""
    for m in block:
        x = m(x, y) if isinstance(m, ConditionalBatchNorm2d) else m(x)
    return x


def make_batch_norms_conditional(model, num_classes):
    """Replaces the BatchNorm2d (index 1) of the generator's layer1...layer4 with ConditionalBatchNorm2d."""
    for name in ("layer1", "layer2", "layer3", "layer4"):
        block = getattr(model, name)
        block[1] = ConditionalBatchNorm2d(block[1].num_features, num_classes)


def projection(embed, h, y):
    """The projection discriminator's class term <embed(y), h flattened>, shaped like the last conv's output."""
    return torch.sum(embed(y) * h.view(h.size(0), -1), dim=1).view(-1, 1, 1, 1)


class ConditionalDcganGenerator(DcganGenerator):
    def __init__(self, z_dim=20, image_size=64, num_classes=10):
        super().__init__(z_dim, image_size)
        make_batch_norms_conditional(self, num_classes)

    def forward(self, z, y):
        out = conditional_block(self.layer1, z, y)
        out = conditional_block(self.layer2, out, y)
        out = conditional_block(self.layer3, out, y)
        out = conditional_block(self.layer4, out, y)
        out = self.last(out)
        return out


class ConditionalDcganDiscriminator(DcganDiscriminator):
    def __init__(self, z_dim=20, image_size=64, num_classes=10):
        super().__init__(z_dim, image_size)
        self.embed = nn.Embedding(num_classes, image_size * 8 * 4 * 4)

    def forward(self, x, y):
        out = self.layer1(x)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        return self.last(out) + projection(self.embed, out, y)


class ConditionalSaganGenerator(SaganGenerator):
    def __init__(self, z_dim=20, image_size=64, num_classes=10):
        super().__init__(z_dim, image_size)
        make_batch_norms_conditional(self, num_classes)

    def forward(self, z, y):
        out = conditional_block(self.layer1, z, y)
        out = conditional_block(self.layer2, out, y)
        out = conditional_block(self.layer3, out, y)
        out, attention_map1 = self.self_attntion1(out)
        out = conditional_block(self.layer4, out, y)
        out, attention_map2 = self.self_attntion2(out)
        out = self.last(out)
        return out, attention_map1, attention_map2


class ConditionalSaganDiscriminator(SaganDiscriminator):
    def __init__(self, z_dim=20, image_size=64, num_classes=10):
        super().__init__(z_dim, image_size)
        self.embed = nn.utils.spectral_norm(nn.Embedding(num_classes, image_size * 8 * 4 * 4))

    def forward(self, x, y):
        out = self.layer1(x)
        out = self.layer2(out)
        out = self.layer3(out)
        out, attention_map1 = self.self_attntion1(out)
        out = self.layer4(out)
        out, attention_map2 = self.self_attntion2(out)
        out = self.last(out) + projection(self.embed, out, y)
        return out, attention_map1, attention_map2


def conditional_weights_init(m):
    """weights_init, extended to the conditional layers (use with `module.apply`)."""
    if isinstance(m, ConditionalBatchNorm2d):
        nn.init.normal_(m.gamma_embed.weight.data, 1.0, 0.02)
        nn.init.constant_(m.beta_embed.weight.data, 0)
    elif isinstance(m, (ConditionalDcganDiscriminator, ConditionalSaganDiscriminator)):
        # weight_orig when spectrally normalised (m.embed.weight shares its storage until the first forward)
        nn.init.normal_(getattr(m.embed, "weight_orig", m.embed.weight).data, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d) and not m.affine:
        pass  # a ConditionalBatchNorm2d's inner BatchNorm2d has no weight
    elif not isinstance(m, nn.Embedding):
        weights_init(m)


CONDITIONAL_MODELS = {
    "dcgan": dict(G=ConditionalDcganGenerator, D=ConditionalDcganDiscriminator, d_loss=bce_d_loss, g_loss=bce_g_loss),
    "sagan": dict(G=ConditionalSaganGenerator, D=ConditionalSaganDiscriminator, d_loss=hinge_d_loss, g_loss=hinge_g_loss),
}


def build_conditional(model, z_dim=20, image_size=64, num_classes=10):
    """The conditional pair for `model` ('dcgan' | 'sagan'), initialised with conditional_weights_init, in train mode."""
    spec = CONDITIONAL_MODELS[model]
    g, d = spec["G"](z_dim, image_size, num_classes), spec["D"](z_dim, image_size, num_classes)
    g.apply(conditional_weights_init)
    d.apply(conditional_weights_init)
    return g.train(), d.train()
