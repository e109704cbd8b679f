-- Argo CD health for storage.stateful.dev/VolumeBackupPolicy.
--
-- A run in progress leaves the policy Healthy: runs come on a schedule, and a
-- policy that turned Progressing with each of them would hold sync waves.
-- Degraded is kept for what needs a person: a spec the operator cannot use,
-- volumes that do not exist, a failed backup, backups older than the schedule
-- allows (Stale). A missed run is named but Healthy: the next run clears it,
-- and runs that keep missing make the policy Stale. Suspended is what the user
-- asked for. Only the base and table libraries are used: Argo CD runs scripts
-- from argocd-cm without the string library.

-- Ready reasons that make the spec unusable: reported even when suspended.
local specErrors = {
  InvalidSchedule = true,
  UnknownTimeZone = true,
  InvalidRetention = true,
}

local clearsByItself = {
  MissedSchedule = true,
}

local function conditionsByType(status)
  local byType = {}
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type ~= nil then
        byType[c.type] = c
      end
    end
  end
  return byType
end

local function describe(c)
  local reason = c.reason or c.type or "Unknown"
  if c.message ~= nil and c.message ~= "" then
    return reason .. ": " .. c.message
  end
  return reason
end

local function current(o)
  local status = o.status
  local generation = o.metadata.generation or 0
  return status ~= nil and status.observedGeneration ~= nil and status.observedGeneration >= generation
end

local function health(o)
  local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
  local c = {}
  if current(o) then
    c = conditionsByType(o.status)
  end
  local ready = c.Ready
  local notReady = ready ~= nil and ready.status == "False"
  if o.spec ~= nil and o.spec.suspend == true then
    if notReady and specErrors[ready.reason] then
      hs.status = "Degraded"
      hs.message = describe(ready)
      return hs
    end
    hs.status = "Suspended"
    hs.message = "Suspended: no backups are created or pruned"
    return hs
  end
  if o.status == nil then
    return hs
  end
  if not current(o) then
    hs.message = "Waiting for the operator to observe generation " .. (o.metadata.generation or 0)
    return hs
  end
  if notReady and not clearsByItself[ready.reason] then
    hs.status = "Degraded"
    hs.message = describe(ready)
    return hs
  end
  if c.Stale ~= nil and c.Stale.status == "True" then
    hs.status = "Degraded"
    hs.message = describe(c.Stale)
    return hs
  end
  if ready == nil then
    return hs
  end
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

return health(obj)
