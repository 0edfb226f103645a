// Users (admins only): list, create, change role, disable or enable, reset password, delete.
import { z } from "zod";
import { createUser, deleteUser, listUsers, resetUserPassword, updateUser } from "../../services/users";
import { roleSchema, userView } from "../../services/views";
import { adminProcedure, router } from "../init";

const createInput = z.object({
  username: z.string().max(64),
  password: z.string().max(1024),
  role: roleSchema,
});
const updateInput = z.object({ id: z.uuid(), role: roleSchema.optional(), disabled: z.boolean().optional() });
const passwordInput = z.object({ id: z.uuid(), password: z.string().max(1024) });

export const usersRouter = router({
  list: adminProcedure
    .meta({ openapi: { method: "GET", path: "/users", tags: ["users"], protect: true } })
    .input(z.object({}).optional())
    .output(z.array(userView))
    .query(({ ctx }) => listUsers(ctx.services.prisma)),

  create: adminProcedure
    .meta({ openapi: { method: "POST", path: "/users", tags: ["users"], protect: true } })
    .input(createInput)
    .output(userView)
    .mutation(({ ctx, input }) => createUser(ctx.services, ctx.actor, input)),

  /** Changes the role and/or disables or enables the user; disabling ends their sessions. */
  update: adminProcedure
    .meta({ openapi: { method: "PATCH", path: "/users/{id}", tags: ["users"], protect: true } })
    .input(updateInput)
    .output(userView)
    .mutation(({ ctx, input }) => updateUser(ctx.services, ctx.actor, input)),

  delete: adminProcedure
    .meta({ openapi: { method: "DELETE", path: "/users/{id}", tags: ["users"], protect: true } })
    .input(z.object({ id: z.uuid() }))
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => deleteUser(ctx.services, ctx.actor, input.id)),

  resetPassword: adminProcedure
    .meta({ openapi: { method: "POST", path: "/users/{id}/password", tags: ["users"], protect: true } })
    .input(passwordInput)
    .output(userView)
    .mutation(({ ctx, input }) => resetUserPassword(ctx.services, ctx.actor, input)),
});
