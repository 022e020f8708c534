// The shape the code must keep (checked by `npm test`): dependencies point one way,
// config ← engine ← {channels, ivr, importers} ← gateway ← bin, and nothing imports in a circle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'modules never import each other in a circle', from: {}, to: { circular: true } },
    { name: 'config-depends-on-nothing', severity: 'error', from: { path: '^config/' }, to: { path: '^(engine|channels|ivr|importers|gateway|bin)/' } },
    { name: 'engine-below-adapters', severity: 'error', from: { path: '^engine/' }, to: { path: '^(channels|ivr|importers|gateway|bin)/' } },
    { name: 'adapters-below-gateway', severity: 'error', from: { path: '^(channels|ivr|importers)/' }, to: { path: '^(gateway|bin)/' } },
    { name: 'gateway-below-bin', severity: 'error', from: { path: '^gateway/' }, to: { path: '^bin/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|dist-bench|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
