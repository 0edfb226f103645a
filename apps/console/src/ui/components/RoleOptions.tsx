"use client";
// The <option> list of the three roles, in the active language.
import { useT } from "../i18n";
import { ROLES } from "../lib/options";

export function RoleOptions() {
  const t = useT();
  return (
    <>
      {ROLES.map((role) => (
        <option key={role} value={role}>
          {t(`role.${role}`)}
        </option>
      ))}
    </>
  );
}
