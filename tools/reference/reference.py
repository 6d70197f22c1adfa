"""The PyTorch reference of ../shared/reference/000_db3785a50babc7de.txt, copied verbatim (comments dropped).

DCGAN: `DcganGenerator`, `DcganDiscriminator`; SAGAN: `Self_Attention`, `SaganGenerator`, `SaganDiscriminator`
(the article names both pairs `Generator` / `Discriminator`); `weights_init`; and one training iteration of
each loop (`dcgan_step`, `sagan_step`) exactly as `train_model` does it. Used by the benchmark and the fixture
scripts; run with Debian's PyTorch (`/usr/bin/python3`).
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


def build(model, z_dim=20, image_size=64):
    """The reference pair for `model` ('dcgan' | 'sagan'), initialised with weights_init, in train mode."""
    G, D = (DcganGenerator, DcganDiscriminator) if model == "dcgan" else (SaganGenerator, SaganDiscriminator)
    g, d = G(z_dim, image_size), D(z_dim, image_size)
    g.apply(weights_init)
    d.apply(weights_init)
    return g.train(), d.train()


def optimizers(model, g, d):
    """DCGAN and SAGAN in the article share these settings: Adam, g_lr 1e-4, d_lr 4e-4, betas (0, 0.9)."""
    return (torch.optim.Adam(g.parameters(), 0.0001, [0.0, 0.9]),
            torch.optim.Adam(d.parameters(), 0.0004, [0.0, 0.9]))


def first(out):
    return out[0] if isinstance(out, tuple) else out


def train_step(model, g, d, g_opt, d_opt, imges, z_dim=20):
    """One iteration of the article's train_model: a D step then a G step. Returns (d_loss, g_loss)."""
    mini_batch_size = imges.size()[0]
    d_out_real = first(d(imges))
    input_z = torch.randn(mini_batch_size, z_dim).view(mini_batch_size, z_dim, 1, 1)
    fake_images = first(g(input_z))
    d_out_fake = first(d(fake_images))
    if model == "dcgan":
        criterion = nn.BCEWithLogitsLoss(reduction='mean')
        label_real = torch.full((mini_batch_size,), 1.0)
        label_fake = torch.full((mini_batch_size,), 0.0)
        d_loss = criterion(d_out_real.view(-1), label_real) + criterion(d_out_fake.view(-1), label_fake)
    else:
        d_loss = torch.nn.ReLU()(1.0 - d_out_real).mean() + torch.nn.ReLU()(1.0 + d_out_fake).mean()
    g_opt.zero_grad()
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()

    input_z = torch.randn(mini_batch_size, z_dim).view(mini_batch_size, z_dim, 1, 1)
    fake_images = first(g(input_z))
    d_out_fake = first(d(fake_images))
    if model == "dcgan":
        g_loss = criterion(d_out_fake.view(-1), label_real)
    else:
        g_loss = -d_out_fake.mean()
    g_opt.zero_grad()
    d_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()
