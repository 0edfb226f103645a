import { SetupPage } from "../../../src/ui/views/AuthPages";

export default function Page() {
  return <SetupPage />;
}
