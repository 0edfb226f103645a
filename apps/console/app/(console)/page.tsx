import { OverviewPage } from "../../src/ui/views/OverviewPage";

export default function Page() {
  return <OverviewPage />;
}
