import { EditClusterPage } from "../../../../../src/ui/views/ClusterForm";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <EditClusterPage id={id} />;
}
