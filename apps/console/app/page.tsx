export default function Home() {
  return <main>Tunnelfleet</main>;
}
