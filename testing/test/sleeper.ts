// A child that does nothing until it is stopped.
setInterval(() => {}, 1_000);
