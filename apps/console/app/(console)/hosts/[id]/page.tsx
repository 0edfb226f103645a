import { HostPage } from "../../../../src/ui/views/HostPage";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <HostPage id={id} />;
}
