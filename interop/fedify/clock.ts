// The peer's clock. .ci/year-ahead runs the Go tests with Go's clock
// TWINFED_CLOCK_AHEAD_DAYS days ahead; this moves the peer's by as much
// (Date, and so Fedify's Date headers and the Temporal polyfill's Now),
// so that both sides of a signed request live in the same year. peer.ts
// imports it first, before Fedify reads the time. Unset: the real clock.
const days = Number(process.env.TWINFED_CLOCK_AHEAD_DAYS ?? "0");
if (days) {
  const offset = days * 86_400_000;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class AheadDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) {
        super(realNow() + offset);
      } else {
        // @ts-expect-error: the Date constructor's overloads, passed on.
        super(...args);
      }
    }
    static now(): number {
      return realNow() + offset;
    }
  }
  globalThis.Date = AheadDate as DateConstructor;
}
