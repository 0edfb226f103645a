// Operator accounts: first-run setup, creation, role changes, disabling and password
// resets. At least one enabled admin always remains.
import { hashPassword, MIN_PASSWORD_LENGTH } from "../auth/password";
import type { Db, Tx } from "../db";
import { runChange } from "./change";
import type { Actor, Role, ServiceDeps } from "./context";
import { ConflictError, InputError, NotFoundError } from "./errors";
import { iso, type UserView } from "./views";

/** Usernames: 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit. */
const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Key of the advisory lock that serialises changes to the set of admins. */
const USERS_LOCK_KEY = 0x7466_7573_6572; // "tfuser"

type UserRow = { id: string; username: string; role: Role; disabled: boolean; createdAt: Date };

export function userToView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled,
    createdAt: iso(row.createdAt),
  };
}

export function checkUsername(username: string): void {
  if (!USERNAME_PATTERN.test(username)) {
    throw InputError.field(
      "username",
      username,
      "username is invalid: use 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit",
    );
  }
}

export function checkPassword(field: string, password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw InputError.field(
      field,
      "(hidden)",
      `${field} is too short: use at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  if (password.length > 1024) {
    throw InputError.field(field, "(hidden)", `${field} is too long: use at most 1024 characters`);
  }
}

async function lockUsers(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${USERS_LOCK_KEY}::bigint)`;
}

async function findUser(db: Db, id: string): Promise<UserRow> {
  const row = await db.user.findUnique({ where: { id } });
  if (!row) throw new NotFoundError("user", id);
  return row;
}

/** Throws ConflictError when the change would leave no enabled admin. */
async function checkAdminRemains(tx: Tx, changedUserId: string): Promise<void> {
  const others = await tx.user.count({
    where: { role: "admin", disabled: false, id: { not: changedUserId } },
  });
  if (others === 0) {
    throw new ConflictError("this is the last enabled admin: make another user admin first");
  }
}

export async function countUsers(db: Db): Promise<number> {
  return db.user.count();
}

/**
 * Creates the first admin. Only succeeds while no user exists; two concurrent setups
 * serialise on a lock and the second gets ConflictError.
 */
export async function setupFirstAdmin(
  deps: Pick<ServiceDeps, "prisma">,
  input: { username: string; password: string; sourceAddress?: string | null },
): Promise<UserView> {
  checkUsername(input.username);
  checkPassword("password", input.password);
  const passwordHash = await hashPassword(input.password);

  const actor: Actor = {
    type: "system",
    id: null,
    name: "setup",
    role: "admin",
    userId: null,
    sourceAddress: input.sourceAddress ?? null,
  };
  return runChange(deps.prisma, actor, "user.setup", async (tx) => {
    await lockUsers(tx);
    if ((await tx.user.count()) > 0) {
      throw new ConflictError("setup is already done: log in with an existing account");
    }
    const created = await tx.user.create({ data: { username: input.username, passwordHash, role: "admin" } });
    const view = userToView(created);
    return {
      result: view,
      hostIds: [],
      audit: { action: "user.setup", targetType: "user", targetId: created.id, after: view },
    };
  });
}

export async function listUsers(db: Db): Promise<UserView[]> {
  const rows = await db.user.findMany({ orderBy: { username: "asc" } });
  return rows.map(userToView);
}

export async function createUser(
  deps: ServiceDeps,
  actor: Actor,
  input: { username: string; password: string; role: Role },
): Promise<UserView> {
  checkUsername(input.username);
  checkPassword("password", input.password);
  const passwordHash = await hashPassword(input.password);

  return runChange(deps.prisma, actor, "user.create", async (tx) => {
    const existing = await tx.user.findUnique({ where: { username: input.username }, select: { id: true } });
    if (existing) {
      throw new ConflictError(`username ${JSON.stringify(input.username)} is already in use`, [
        { field: "username", value: input.username, message: "is already in use" },
      ]);
    }
    const created = await tx.user.create({
      data: { username: input.username, passwordHash, role: input.role },
    });
    const view = userToView(created);
    return {
      result: view,
      hostIds: [],
      audit: { action: "user.create", targetType: "user", targetId: created.id, after: view },
    };
  });
}

export async function setUserRole(
  deps: ServiceDeps,
  actor: Actor,
  input: { id: string; role: Role },
): Promise<UserView> {
  return runChange(deps.prisma, actor, "user.set_role", async (tx) => {
    await lockUsers(tx);
    const before = userToView(await findUser(tx, input.id));
    if (before.role === "admin" && input.role !== "admin") await checkAdminRemains(tx, input.id);

    const after = userToView(await tx.user.update({ where: { id: input.id }, data: { role: input.role } }));
    // API tokens never act above their creator's role: lower any that now would.
    if (input.role !== "admin") {
      const lower: Role[] = input.role === "viewer" ? ["admin", "operator"] : ["admin"];
      await tx.apiToken.updateMany({
        where: { createdById: input.id, role: { in: lower } },
        data: { role: input.role },
      });
    }
    return {
      result: after,
      hostIds: [],
      audit: { action: "user.set_role", targetType: "user", targetId: input.id, before, after },
    };
  });
}

/** Disables or enables a user. Disabling ends the user's sessions; their API tokens stop working. */
export async function setUserDisabled(
  deps: ServiceDeps,
  actor: Actor,
  input: { id: string; disabled: boolean },
): Promise<UserView> {
  return runChange(deps.prisma, actor, input.disabled ? "user.disable" : "user.enable", async (tx) => {
    await lockUsers(tx);
    const before = userToView(await findUser(tx, input.id));
    if (input.disabled && before.role === "admin" && !before.disabled) await checkAdminRemains(tx, input.id);

    const after = userToView(
      await tx.user.update({ where: { id: input.id }, data: { disabled: input.disabled } }),
    );
    if (input.disabled) await tx.session.deleteMany({ where: { userId: input.id } });
    return {
      result: after,
      hostIds: [],
      audit: {
        action: input.disabled ? "user.disable" : "user.enable",
        targetType: "user",
        targetId: input.id,
        before,
        after,
      },
    };
  });
}

/** Sets a new password and ends the user's sessions. */
export async function resetUserPassword(
  deps: ServiceDeps,
  actor: Actor,
  input: { id: string; password: string },
): Promise<UserView> {
  checkPassword("password", input.password);
  const passwordHash = await hashPassword(input.password);

  return runChange(deps.prisma, actor, "user.reset_password", async (tx) => {
    const user = userToView(await findUser(tx, input.id));
    await tx.user.update({ where: { id: input.id }, data: { passwordHash } });
    await tx.session.deleteMany({ where: { userId: input.id } });
    return {
      result: user,
      hostIds: [],
      audit: { action: "user.reset_password", targetType: "user", targetId: input.id },
    };
  });
}

/** Applies a role change and/or an enable/disable in one change. */
export async function updateUser(
  deps: ServiceDeps,
  actor: Actor,
  input: { id: string; role?: Role; disabled?: boolean },
): Promise<UserView> {
  let view = userToView(await findUser(deps.prisma, input.id));
  if (input.role !== undefined && input.role !== view.role) {
    view = await setUserRole(deps, actor, { id: input.id, role: input.role });
  }
  if (input.disabled !== undefined && input.disabled !== view.disabled) {
    view = await setUserDisabled(deps, actor, { id: input.id, disabled: input.disabled });
  }
  return view;
}

/** Deletes a user with their sessions and API tokens. Rejects deleting oneself or the last enabled admin. */
export async function deleteUser(deps: ServiceDeps, actor: Actor, id: string): Promise<{ id: string }> {
  if (actor.userId === id) throw new ConflictError("you cannot delete your own account: ask another admin");
  return runChange(deps.prisma, actor, "user.delete", async (tx) => {
    await lockUsers(tx);
    const before = userToView(await findUser(tx, id));
    if (before.role === "admin" && !before.disabled) await checkAdminRemains(tx, id);
    await tx.user.delete({ where: { id } });
    return {
      result: { id },
      hostIds: [],
      audit: { action: "user.delete", targetType: "user", targetId: id, before },
    };
  });
}
