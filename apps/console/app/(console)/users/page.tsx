import { UsersPage } from "../../../src/ui/views/UsersPage";

export default function Page() {
  return <UsersPage />;
}
