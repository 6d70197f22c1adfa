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
    label_real = torch.full((d_out_real.shape[0],), 1.0)
    label_fake = torch.full((d_out_fake.shape[0],), 0.0)
    return criterion(d_out_real.view(-1), label_real) + criterion(d_out_fake.view(-1), label_fake)


def bce_g_loss(d_out_fake):
    """DCGAN's G loss: BCE with logits, fake -> 1."""
    criterion = nn.BCEWithLogitsLoss(reduction='mean')
    return criterion(d_out_fake.view(-1), torch.full((d_out_fake.shape[0],), 1.0))


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
