// The tRPC AppRouter: the operations of DESIGN §6 and §7's jobs. The SDK takes
// `import type { AppRouter }` from here; REST under /v1 calls the same service methods.
import { RetrieveRequestSchema, SimilarRequestSchema } from "../../core/index.ts";
import { ActivateInputSchema, ItemsGetInputSchema, LookupInputSchema, RollbackInputSchema } from "./schemas.ts";
import { jobsRouter } from "./jobs-router.ts";
import { retrieveCost } from "./request-cost.ts";
import { adminProcedure, charged, publicProcedure, readProcedure, router } from "./trpc.ts";
import type { Access } from "./rest.ts";

/** releases.*: list (read), activate and rollback (admin). */
export const releasesRouter = router({
  list: readProcedure.query(async ({ ctx }) => ({ releases: await ctx.service.listReleases() })),
  activate: adminProcedure.input(ActivateInputSchema).mutation(({ ctx, input }) => ctx.service.activate(input.release, { edge: input.edge })),
  rollback: adminProcedure.input(RollbackInputSchema.optional()).mutation(({ ctx, input }) => ctx.service.rollback({ edge: input?.edge })),
});

/** items.*: get records by id (read). */
export const itemsRouter = router({
  get: readProcedure.input(ItemsGetInputSchema).query(async ({ ctx, input }) => ({ items: await ctx.service.getItems(input.ids, input.release) })),
});

/** The whole API as tRPC procedures. */
export const appRouter = router({
  retrieve: readProcedure
    .input(RetrieveRequestSchema)
    .use(charged(retrieveCost))
    .query(({ ctx, input }) => ctx.search.retrieve(input)),
  similar: readProcedure
    .input(SimilarRequestSchema)
    .use(charged(retrieveCost))
    .query(({ ctx, input }) => ctx.search.similar(input)),
  lookup: readProcedure.input(LookupInputSchema).query(({ ctx, input }) => ctx.service.lookup(input.query, input.release)),
  items: itemsRouter,
  releases: releasesRouter,
  health: publicProcedure.query(({ ctx }) => ctx.service.health()),
  jobs: jobsRouter,
});

/** The router's type: all the SDK knows of the server. */
export type AppRouter = typeof appRouter;

/** Procedure paths, for bounded metric labels ("retrieve", "items.get", ...). */
export const PROCEDURE_PATHS: readonly string[] = Object.keys(appRouter._def.procedures);

/** Who may call each procedure, from its meta: what the HTTP gate checks before reading any input. */
export const PROCEDURE_ACCESS: Readonly<Record<string, Access>> = Object.fromEntries(
  Object.entries(appRouter._def.procedures).map(([path, proc]) => {
    const access = ((proc as { _def: { meta?: { access?: Access } } })._def.meta ?? {}).access;
    if (access === undefined) throw new Error(`procedure ${path} has no access meta: build it on publicProcedure, readProcedure or adminProcedure`);
    return [path, access];
  }),
);
