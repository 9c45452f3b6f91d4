// A fediverse server that is not Twinfed: one actor, bob, built on Fedify
// (https://fedify.dev), which signs what it sends and verifies what it
// receives with its own code (RFC 9421 HTTP Message Signatures and
// draft-cavage HTTP Signatures, RSA and Ed25519). cmd/twinfed's
// TestFediverse_Fedify runs it with Bun against a real node.
//
// Environment: FIRST_KNOCK, the signature scheme Fedify tries first with a
// server it does not know ("rfc9421" or "draft-cavage-http-signatures-12";
// it falls back to the other once on 401); TWINFED_CLOCK_AHEAD_DAYS, days
// to move the peer's clock by (clock.ts; .ci/year-ahead sets it).
//
// It listens on 127.0.0.1 on a free port and prints "listening <address>"
// on its first line; its ids are on the origin each request was sent to. Beside Fedify's routes, /_control/ lets the test:
//   GET  /_control/key       the RSA public key (PEM SPKI), for the registry
//   POST /_control/follow    {"target": actor URL}: WebFinger, then the
//                            actor, then a Follow from bob
//   GET  /_control/received  the activities whose signature Fedify verified
import "./clock.ts"; // first: moves the clock before Fedify reads it
import {
  Accept,
  createFederation,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  lookupWebFinger,
  MemoryKvStore,
  Person,
  Undo,
} from "@fedify/fedify";

const firstKnock = (process.env.FIRST_KNOCK ?? "rfc9421") as
  | "rfc9421"
  | "draft-cavage-http-signatures-12";
const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const ed = await generateCryptoKeyPair("Ed25519");
const received: { type: string; id?: string; actor?: string; object?: string }[] = [];

const federation = createFederation<void>({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true, // the node is on 127.0.0.1
  firstKnock,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "bob") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Bob (Fedify)",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === "bob" ? [rsa, ed] : []));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    received.push({ type: "Follow", id: follow.id?.href, actor: follow.actorId?.href, object: follow.objectId?.href });
    if (follow.objectId?.href !== ctx.getActorUri("bob").href) return;
    const follower = await follow.getActor(ctx);
    if (follower == null) return;
    await ctx.sendActivity(
      { identifier: "bob" },
      follower,
      new Accept({
        id: new URL(`/activities/accept-${crypto.randomUUID()}`, ctx.origin),
        actor: ctx.getActorUri("bob"),
        object: follow,
      }),
    );
  })
  .on(Accept, (_ctx, accept) => {
    received.push({ type: "Accept", id: accept.id?.href, actor: accept.actorId?.href, object: accept.objectId?.href });
  })
  .on(Undo, (_ctx, undo) => {
    received.push({ type: "Undo", id: undo.id?.href, actor: undo.actorId?.href, object: undo.objectId?.href });
  });

function pem(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PUBLIC KEY-----\n${b64.trimEnd()}\n-----END PUBLIC KEY-----\n`;
}

async function control(req: Request, url: URL, origin: string): Promise<Response> {
  if (req.method === "GET" && url.pathname === "/_control/key") {
    return new Response(pem(await crypto.subtle.exportKey("spki", rsa.publicKey)));
  }
  if (req.method === "GET" && url.pathname === "/_control/received") {
    return Response.json(received);
  }
  if (req.method === "POST" && url.pathname === "/_control/follow") {
    const { target } = (await req.json()) as { target: string };
    const ctx = federation.createContext(new URL(origin), undefined);
    const jrd = await lookupWebFinger(target, { allowPrivateAddress: true });
    const self = jrd?.links?.find((l) => l.rel === "self")?.href;
    const actor = await ctx.lookupObject(self ?? target);
    if (actor == null || actor.id == null) {
      return Response.json({ error: `cannot look up ${target}` }, { status: 404 });
    }
    const id = new URL(`/activities/follow-${crypto.randomUUID()}`, origin);
    await ctx.sendActivity(
      { identifier: "bob" },
      actor as Person,
      new Follow({ id, actor: ctx.getActorUri("bob"), object: actor.id }),
    );
    return Response.json({ subject: jrd?.subject, self, actor: actor.id.href, follow: id.href });
  }
  return new Response("not found", { status: 404 });
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    // The origin is the request's (the Host it was sent to): the test
    // puts a proxy in front, which then is the server's public address.
    const url = new URL(req.url);
    const origin = url.origin;
    try {
      if (url.pathname.startsWith("/_control/")) return await control(req, url, origin);
      return await federation.fetch(req, { contextData: undefined });
    } catch (e) {
      console.error(e);
      return new Response(String(e), { status: 500 });
    }
  },
});
console.log(`listening http://127.0.0.1:${server.port}`);
