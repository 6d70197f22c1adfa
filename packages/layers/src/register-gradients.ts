// tfjs-core's published bundles (CJS and flat ESM) register no gradient functions; only its unbundled ESM
// tree does, through this module. tsup bundles it into our build so `tf.grad` works from both formats.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
