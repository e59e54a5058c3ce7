// Keeps the "Invite N members" button in step with the addresses typed (the form
// works without this script: the server counts on "Count" and on every answer).
document.addEventListener("DOMContentLoaded", () => {
  const area = document.getElementById("emails");
  const button = document.getElementById("invite-button");
  if (!area || !button) return;
  const update = () => {
    const typed = area.value.split(/[\s,;]+/).map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
    const n = new Set(typed).size;
    button.textContent = n === 0 ? "Invite members" : n === 1 ? "Invite 1 member" : `Invite ${n} members`;
  };
  area.addEventListener("input", update);
  update();
});
