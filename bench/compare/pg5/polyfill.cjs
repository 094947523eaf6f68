// PostGraphile 5 declares Node >= 22. On Node 20 the only missing API it
// uses is Promise.withResolvers (ES2024); `node --require ./polyfill.cjs`
// adds it before anything else loads. Harmless on Node >= 22.
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
